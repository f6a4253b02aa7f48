"""A duplicate delivery of an object version starts no second job; a new version does."""

from __future__ import annotations

import boto3

from batch_pipeline_construct.runtime import settings
from batch_pipeline_construct.runtime.arrival.handler import handler
from tests.runtime.runtime_pipeline import LambdaContext, Pipeline, s3_body, s3_record, sqs_event


def test_the_same_version_delivered_twice_starts_one_job(pipeline: Pipeline) -> None:
    body = s3_body(s3_record("report.csv", version_id="v1", sequencer="0A1B"))

    first = handler(sqs_event(body, body), LambdaContext())
    second = handler(sqs_event(body), LambdaContext())

    assert first == second == {"batchItemFailures": []}
    assert len(pipeline.jobs()) == 1


def test_a_new_version_of_the_key_starts_a_new_job(pipeline: Pipeline) -> None:
    handler(sqs_event(s3_body(s3_record("report.csv", version_id="v1"))), LambdaContext())
    handler(sqs_event(s3_body(s3_record("report.csv", version_id="v2"))), LambdaContext())

    versions = sorted(job["parameters"]["versionId"] for job in pipeline.jobs())
    assert versions == ["v1", "v2"]


def test_without_versioning_the_sequencer_tells_writes_apart(pipeline: Pipeline) -> None:
    once = s3_body(s3_record("plain.csv", sequencer="0055AED6DCD90281E5"))
    again = s3_body(s3_record("plain.csv", sequencer="0055AED6DCD90281E6"))

    handler(sqs_event(once, once, again), LambdaContext())

    assert len(pipeline.jobs()) == 2


def test_the_claim_records_the_job(pipeline: Pipeline) -> None:
    handler(sqs_event(s3_body(s3_record("x.csv", version_id="v9"))), LambdaContext())

    [job] = pipeline.jobs()
    [item] = boto3.client("dynamodb").scan(TableName=pipeline.table)["Items"]
    assert item["pk"]["S"] == "pipeline-input/x.csv#version=v9"
    assert item["status"]["S"] == "SUBMITTED"
    assert item["job_id"]["S"] == job["jobId"]
    assert int(item["expires_at"]["N"]) > 0


def test_without_a_table_every_delivery_is_submitted(pipeline: Pipeline) -> None:
    pipeline.configure(**{settings.FILE_RECORDS_TABLE: None})
    body = s3_body(s3_record("report.csv", version_id="v1"))

    handler(sqs_event(body, body), LambdaContext())

    assert len(pipeline.jobs()) == 2
