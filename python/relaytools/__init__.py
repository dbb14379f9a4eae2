"""Relay's Python helpers (run from the repository with PYTHONPATH=python)."""
