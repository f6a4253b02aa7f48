"""Fixtures: moto without Docker and fresh clients in every test, and a whole pipeline in moto
(buckets, queues, idempotency table, Batch job queue and job definition)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from batch_pipeline_construct.runtime import clients, settings
from tests.runtime.runtime_pipeline import Pipeline, create_runtime_pipeline


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, moto without Docker, and fresh cached clients in every test."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    clients.reset()
    with mock_aws(config={"batch": {"use_docker": False}, "lambda": {"use_docker": False}}):
        yield
    clients.reset()


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    """The pipeline's resources, and its settings in the environment (per-file, deduplicated)."""
    made = create_runtime_pipeline()
    result = Pipeline(
        made.job_queue_arn, made.queue_url, made.dead_letter_queue_url, made.table, monkeypatch
    )
    result.configure(**made.environ, **{settings.OUTPUT_ROOT_PREFIX: "results/"})
    return result


@pytest.fixture
def bulk(pipeline: Pipeline) -> Pipeline:
    """The pipeline in bulk mode: array jobs of up to 100 files, manifests in the output bucket."""
    pipeline.configure(
        **{
            settings.BULK_MODE: "true",
            settings.BULK_MAX_FILES: "100",
            settings.MANIFEST_PREFIX: "_manifests/",
        }
    )
    return pipeline
