"""Tests of ``testing.py``: the snapshot helper users load in their own tests."""
