"""The recorder's storage: the backend's database store under the recorder engine."""
