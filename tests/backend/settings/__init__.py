"""Tests of the settings (environment, production checks), /healthz and the embedded backend."""
