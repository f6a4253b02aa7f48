"""``reprocess`` and ``retry`` hand files over as S3 would have announced them, size included, so
their jobs get ``INPUT_SIZE`` as a fresh arrival's job does, even when a retried file's record
does not keep it."""

from __future__ import annotations

import boto3
import pytest

from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.records import schema
from tests.runtime.operator.deployed import deploy_function
from tests.runtime.operator.seeded_records import (
    RUN,
    STARTED,
    put_file_record,
    seed_run,
    use_records_table,
)
from tests.runtime.runtime_pipeline import INPUT_BUCKET, Pipeline, environment

BODIES = {"raw/small.csv": b"x" * 3, "raw/larger.csv": b"y" * 4096}


@pytest.fixture
def versions() -> dict[str, str]:
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket=INPUT_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return {
        key: s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=body)["VersionId"]
        for key, body in BODIES.items()
    }


def _sizes(pipeline: Pipeline) -> dict[str, str]:
    return {
        environment(job)["INPUT_KEY"]: environment(job)["INPUT_SIZE"] for job in pipeline.jobs()
    }


def test_reprocess_tells_each_job_its_objects_size(
    pipeline: Pipeline, versions: dict[str, str]
) -> None:
    function = deploy_function("arrival", dict(pipeline.environ))

    assert main(["reprocess", "--function", function, "--rate", "1000", "--json"]) == 0

    assert _sizes(pipeline) == {key: str(len(body)) for key, body in BODIES.items()}


def test_retry_of_a_run_reads_the_size_its_records_do_not_keep(
    pipeline: Pipeline, versions: dict[str, str]
) -> None:
    table = use_records_table(pipeline)
    seed_run(table, files=0, failed=())
    for key, version in versions.items():
        put_file_record(
            table,
            key,
            version,
            schema.FileState.FAILED.value,
            **{schema.RUN_ID: {"S": RUN}, schema.RECEIVED_AT: {"N": str(STARTED)}},
        )
    function = deploy_function("arrival", dict(pipeline.environ))

    assert main(["retry", "--function", function, "--run", RUN, "--rate", "1000"]) == 0

    assert _sizes(pipeline) == {key: str(len(body)) for key, body in BODIES.items()}


def test_retry_of_given_keys_tells_each_job_its_objects_size(
    pipeline: Pipeline, versions: dict[str, str]
) -> None:
    use_records_table(pipeline)
    function = deploy_function("arrival", dict(pipeline.environ))

    assert main(["retry", "--function", function, *(f"--key={key}" for key in BODIES)]) == 0

    assert _sizes(pipeline) == {key: str(len(body)) for key, body in BODIES.items()}
