"""A client error that no retry can fix fails the message at once, and releases its claim so
that the redelivery can submit."""

from __future__ import annotations

import boto3
import pytest

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.arrival.handler import handle, handler
from tests.runtime.runtime_pipeline import (
    FakeSleep,
    LambdaContext,
    Pipeline,
    client_error,
    first_calls_fail,
    inject,
    s3_body,
    s3_record,
    sqs_event,
)


def test_a_client_error_is_not_retried(pipeline: Pipeline) -> None:
    calls = inject(
        clients.batch(),
        "batch.SubmitJob",
        first_calls_fail(1, lambda: client_error("ClientException", 400)),
    )
    sleep = FakeSleep()
    event = sqs_event(s3_body(s3_record("bad.csv", version_id="v1")))

    result = handle(event, LambdaContext(), sleep=sleep)

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert len(calls) == 1
    assert sleep.delays == []
    assert pipeline.jobs() == []


def test_a_failed_submission_releases_the_claim_so_the_redelivery_submits(
    pipeline: Pipeline,
) -> None:
    inject(
        clients.batch(),
        "batch.SubmitJob",
        first_calls_fail(1, lambda: client_error("ClientException", 400)),
    )
    event = sqs_event(s3_body(s3_record("bad.csv", version_id="v1")))

    first = handler(event, LambdaContext())
    assert boto3.client("dynamodb").scan(TableName=pipeline.table)["Items"] == []
    redelivery = handler(event, LambdaContext())

    assert len(first["batchItemFailures"]) == 1
    assert redelivery == {"batchItemFailures": []}
    assert len(pipeline.jobs()) == 1


def test_a_missing_job_definition_fails_the_message(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.configure(**{settings.JOB_DEFINITION_NAME: "no-such-definition"})
    event = sqs_event(s3_body(s3_record("a.csv")))

    result = handler(event, LambdaContext())

    assert len(result["batchItemFailures"]) == 1
    assert "no-such-definition" in capsys.readouterr().out
