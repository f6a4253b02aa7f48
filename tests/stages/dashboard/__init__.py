"""Tests of ``_stages/dashboard.py``."""
