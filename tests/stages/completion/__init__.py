"""Tests of ``_stages/completion.py``."""
