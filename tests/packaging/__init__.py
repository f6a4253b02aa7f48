"""Tests of the distribution: wheel and sdist contents, a fresh virtualenv, workflows, API.md."""
