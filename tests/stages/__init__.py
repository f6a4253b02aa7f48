"""Tests of the stage constructs in ``_stages/``, one folder per module."""
