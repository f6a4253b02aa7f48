"""Tests of ``_stages/key_filters.py``."""
