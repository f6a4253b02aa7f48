"""An unexpected error on one record fails that record only; the others are acknowledged."""

from __future__ import annotations

import pytest

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


def test_a_crash_on_one_record_loses_no_other(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    inject(
        clients.dynamodb(),
        "dynamodb.UpdateItem",
        lambda params: RuntimeError("boom") if "/2.csv#" in params["Key"]["pk"]["S"] else None,
    )
    event = sqs_event(*(s3_body(s3_record(f"{n}.csv")) for n in range(1, 5)))

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    keys = sorted(environment(job)["INPUT_KEY"] for job in pipeline.jobs())
    assert keys == ["1.csv", "3.csv", "4.csv"]
    assert "RuntimeError('boom')" in capsys.readouterr().out


def test_an_unrecorded_job_still_acknowledges_its_message(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    inject(
        clients.dynamodb(),
        "dynamodb.UpdateItem",
        lambda params: (
            client_error("InternalServerError", 500, "UpdateItem")
            if ":submitted" in params["ExpressionAttributeValues"]
            else None
        ),
    )

    result = handler(sqs_event(s3_body(s3_record("a.csv"))), LambdaContext())

    assert result == {"batchItemFailures": []}
    assert len(pipeline.jobs()) == 1
    assert "job submitted but not marked in the table" in capsys.readouterr().out


def test_records_left_when_time_runs_out_are_retried(pipeline: Pipeline) -> None:
    event = sqs_event(*(s3_body(s3_record(f"{n}.csv")) for n in range(4)))
    # 60 s at the start, then 20 s less at every look at the clock
    context = LambdaContext(remaining_millis=60_000, step=20_000)

    result = handler(event, context)

    failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
    submitted = {environment(job)["INPUT_KEY"] for job in pipeline.jobs()}
    assert failed and submitted
    assert len(failed) + len(submitted) == 4
