"""Tests of ``_stages/alarms.py``."""
