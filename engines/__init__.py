"""The engines: forecast, risk, recorder, evaluation, observability, LEAN bridges. Plain Python.

Third floor of four (ARCHITECTURE.md §2): the command line and the demo (``ats``) and the
backend (Django) call into these packages; the engines use only ``Library/`` and
``market_data`` below them and never import the backend or the command line, as the
import contract in ``make test`` checks.
"""
