"""Tests of ``runtime/job/``: the job contract, manifests and the resolver."""
