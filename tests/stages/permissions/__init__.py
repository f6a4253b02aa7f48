"""Tests of ``_stages/permissions.py``."""
