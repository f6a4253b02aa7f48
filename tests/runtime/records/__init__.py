"""Tests of ``runtime/records/``: the per-file record, runs and their reports."""
