"""Fixtures for the tests of batch_pipeline_construct.testing."""

from pathlib import Path

import pytest

from tests.testing.template_stacks import AssetSources


@pytest.fixture
def asset_sources(tmp_path: Path) -> AssetSources:
    sources = AssetSources(tmp_path)
    sources.handler.parent.mkdir()
    sources.handler.write_text("def handler(event, context):\n    return 'v1'\n")
    for dockerfile in (sources.dockerfile, sources.second_dockerfile):
        dockerfile.parent.mkdir()
        dockerfile.write_text(
            "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
            f"COPY job.py /app/job.py  # {dockerfile.parent.name}\n"
        )
        (dockerfile.parent / "job.py").write_text("print('processing')\n")
    return sources
