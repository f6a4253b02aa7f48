"""Tests of ``_instance_capacity.py``: what an EC2 instance type holds, read from its name."""
