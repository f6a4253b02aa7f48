"""Tests of ``runtime/``, against moto through real boto3 clients (fixtures in ``conftest.py``)."""
