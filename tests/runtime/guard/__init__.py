"""Tests of ``runtime/guard/``: the cost guard stops and resumes the pipeline."""
