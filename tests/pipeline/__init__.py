"""Tests of ``pipeline.py``: what ``BatchFilePipeline`` exposes and how its stages fit together."""
