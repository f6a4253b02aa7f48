"""Tests of ``runtime/operator/``: the operator commands."""
