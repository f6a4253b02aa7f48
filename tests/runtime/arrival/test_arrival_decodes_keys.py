"""Keys arrive form-encoded in S3 notifications; jobs get them decoded, exactly as written."""

from __future__ import annotations

import pytest

from batch_pipeline_construct.runtime.arrival.handler import handler
from batch_pipeline_construct.runtime.job.contract import JOB_NAME_PATTERN, output_prefix
from tests.runtime.runtime_pipeline import (
    INPUT_BUCKET,
    OUTPUT_BUCKET,
    LambdaContext,
    Pipeline,
    environment,
    s3_body,
    s3_record,
    sqs_event,
)

ODD_KEYS = [
    "plain.csv",
    "with space/and more spaces.txt",
    "a+literal+plus.bin",
    "café/crème brûlée.json",
    "日本語/ファイル名.dat",
    "deep/" * 50 + "leaf.parquet",
    "k" * 1020 + ".bin",
    "symbols/!$&'()*,;=@%[]~^`{}.txt",
]


@pytest.mark.parametrize("key", ODD_KEYS, ids=range(len(ODD_KEYS)))
def test_the_job_gets_the_decoded_key_and_derived_locations(pipeline: Pipeline, key: str) -> None:
    result = handler(sqs_event(s3_body(s3_record(key))), LambdaContext())

    assert result == {"batchItemFailures": []}
    [job] = pipeline.jobs()
    env = environment(job)
    assert env["INPUT_KEY"] == env["S3_INPUT_OBJECT"] == key
    assert env["INPUT_BUCKET"] == env["S3_INPUT_BUCKET"] == INPUT_BUCKET
    assert env["INPUT_URI"] == f"s3://{INPUT_BUCKET}/{key}"
    assert env["OUTPUT_BUCKET"] == env["S3_OUTPUT_BUCKET"] == OUTPUT_BUCKET
    assert env["OUTPUT_PREFIX"] == output_prefix(key, "results/")
    assert env["OUTPUT_URI"] == f"s3://{OUTPUT_BUCKET}/{env['OUTPUT_PREFIX']}"
    assert job["parameters"]["inputKey"] == key
    assert job["parameters"]["inputUri"] == env["INPUT_URI"]
    assert job["parameters"]["outputUri"] == env["OUTPUT_URI"]
    assert JOB_NAME_PATTERN.match(job["jobName"])


def test_plus_is_a_space_and_percent_2b_is_a_plus(pipeline: Pipeline) -> None:
    record = s3_record("unused")
    record["s3"]["object"]["key"] = "my+report+%2B+caf%C3%A9.csv"

    handler(sqs_event(s3_body(record)), LambdaContext())

    [job] = pipeline.jobs()
    assert environment(job)["INPUT_KEY"] == "my report + café.csv"


def test_the_version_is_passed_when_the_bucket_is_versioned(pipeline: Pipeline) -> None:
    handler(
        sqs_event(s3_body(s3_record("v.csv", version_id="3HL4kqtJlcpXroDTDmJ"))), LambdaContext()
    )

    [job] = pipeline.jobs()
    assert environment(job)["INPUT_VERSION_ID"] == "3HL4kqtJlcpXroDTDmJ"
    assert job["parameters"]["versionId"] == "3HL4kqtJlcpXroDTDmJ"


def test_jobs_use_the_latest_revision_of_the_definition_by_name(pipeline: Pipeline) -> None:
    handler(sqs_event(s3_body(s3_record("latest.csv"))), LambdaContext())

    [job] = pipeline.jobs()
    assert job["jobDefinition"].endswith("job-definition/pipeline-job:2")
