"""Tests of ``options.py``: every bad prop fails at synth with a clear error."""
