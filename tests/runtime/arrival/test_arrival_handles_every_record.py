"""Every S3 record of every SQS message becomes a job, and a message is acknowledged only when
all of its files have one."""

from __future__ import annotations

import boto3

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.arrival.handler import handler
from tests.runtime.runtime_pipeline import (
    LambdaContext,
    Pipeline,
    client_error,
    environment,
    inject,
    s3_body,
    s3_record,
    sqs_event,
)


def test_every_record_of_every_message_is_submitted(pipeline: Pipeline) -> None:
    event = sqs_event(
        s3_body(s3_record("a/1.csv"), s3_record("a/2.csv"), s3_record("a/3.csv")),
        s3_body(s3_record("b/1.csv")),
        s3_body(s3_record("c/1.csv"), s3_record("c/2.csv")),
    )

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    keys = sorted(environment(job)["INPUT_KEY"] for job in pipeline.jobs())
    assert keys == ["a/1.csv", "a/2.csv", "a/3.csv", "b/1.csv", "c/1.csv", "c/2.csv"]


def test_a_message_with_one_unsubmitted_file_is_retried(pipeline: Pipeline) -> None:
    inject(
        clients.batch(),
        "batch.SubmitJob",
        lambda params: (
            client_error("ClientException", 400)
            if params["parameters"]["inputKey"] == "m/2.csv"
            else None
        ),
    )
    event = sqs_event(
        s3_body(s3_record("m/1.csv"), s3_record("m/2.csv")), s3_body(s3_record("n.csv"))
    )

    result = handler(event, LambdaContext())

    failing = event["Records"][0]["messageId"]
    assert result == {"batchItemFailures": [{"itemIdentifier": failing}]}
    keys = sorted(environment(job)["INPUT_KEY"] for job in pipeline.jobs())
    assert keys == ["m/1.csv", "n.csv"]


def test_an_empty_event_needs_no_aws_call(pipeline: Pipeline) -> None:
    assert handler({"Records": []}, LambdaContext()) == {"batchItemFailures": []}
    assert boto3.client("batch").list_jobs(jobQueue=pipeline.job_queue_arn)["jobSummaryList"] == []
