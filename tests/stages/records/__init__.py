"""Tests of ``_stages/records.py``: the per-file record's event side."""
