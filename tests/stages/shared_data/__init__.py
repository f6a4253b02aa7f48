"""Tests of ``_stages/shared_data.py``."""
