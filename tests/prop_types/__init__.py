"""Tests of ``_prop_types.py``: a wrongly typed prop says what to write."""
