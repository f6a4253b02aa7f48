"""Tests of ``_stages/arrival.py``."""
