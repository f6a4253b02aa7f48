"""Fixtures of the construct tests (stages, options, pipeline): a Dockerfile folder and the template
of a default pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from tests.support.pipeline_builders import template_of


@pytest.fixture(scope="session")
def dockerfile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build context with a Dockerfile, as a user's project has."""
    folder = tmp_path_factory.mktemp("container")
    (folder / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.12-slim\n")
    return folder


@pytest.fixture(scope="module")
def default_template(dockerfile_dir: Path) -> Template:
    """The template of a pipeline built with nothing but ``dockerfile_path``."""
    return template_of(dockerfile_dir)
