"""Tests of ``_stages/compute.py``."""
