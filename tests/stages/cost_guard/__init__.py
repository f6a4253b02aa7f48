"""Tests of ``_stages/cost_guard.py``."""
