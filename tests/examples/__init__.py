"""Tests of the example apps in ``examples/``: they synthesize, their jobs run, the minimal stack's snapshot."""
