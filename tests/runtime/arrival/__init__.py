"""Tests of ``runtime/arrival/``: the arrival function."""
