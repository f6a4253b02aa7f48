"""Throttled and failing SubmitJob calls are retried with jittered exponential backoff, and the
retries are counted."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import EndpointConnectionError

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.arrival.handler import handle
from batch_pipeline_construct.runtime.arrival.invocation import CALL_MARGIN_SECONDS
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

TRANSIENT = {
    "TooManyRequestsException": lambda: client_error("TooManyRequestsException", 429),
    "ThrottlingException": lambda: client_error("ThrottlingException", 400),
    "bare 429": lambda: client_error("SlowDownPlease", 429),
    "ServerException": lambda: client_error("ServerException", 500),
    "503": lambda: client_error("ServiceUnavailable", 503),
    "connection": lambda: EndpointConnectionError(endpoint_url="https://batch.us-east-1"),
}


def logged(out: str, event: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == event]


@pytest.mark.parametrize("error", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_transient_errors_are_retried_until_submitted(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str], error: object
) -> None:
    calls = inject(clients.batch(), "batch.SubmitJob", first_calls_fail(3, error))  # type: ignore[arg-type]
    sleep = FakeSleep()

    result = handle(sqs_event(s3_body(s3_record("busy.csv"))), LambdaContext(), sleep=sleep)

    assert result == {"batchItemFailures": []}
    assert len(pipeline.jobs()) == 1
    assert len(calls) == 4
    assert len(sleep.delays) == 3
    [line] = logged(capsys.readouterr().out, "submitted")
    assert line["attempts"] == 4


def test_backoff_is_full_jitter_on_an_exponential_cap(pipeline: Pipeline) -> None:
    inject(
        clients.batch(),
        "batch.SubmitJob",
        first_calls_fail(5, TRANSIENT["TooManyRequestsException"]),
    )
    sleep = FakeSleep()

    handle(sqs_event(s3_body(s3_record("a.csv"))), LambdaContext(), sleep=sleep, random=lambda: 1.0)

    assert sleep.delays == [0.1, 0.2, 0.4, 0.8, 1.6]


def test_a_message_still_throttled_after_the_last_attempt_is_retried_later(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = inject(
        clients.batch(), "batch.SubmitJob", first_calls_fail(100, TRANSIENT["ThrottlingException"])
    )
    event = sqs_event(s3_body(s3_record("hot.csv")))

    result = handle(event, LambdaContext(), sleep=FakeSleep(), submit_max_attempts=6)

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert len(calls) == 6
    [line] = logged(capsys.readouterr().out, "failed")
    assert line["attempts"] == 6
    assert "ThrottlingException" in str(line["reason"])


def test_no_call_starts_that_could_outlive_the_invocation(pipeline: Pipeline) -> None:
    now = [0.0]
    started: list[float] = []

    def fault(_: object) -> BaseException:
        started.append(now[0])
        return TRANSIENT["TooManyRequestsException"]()

    inject(clients.batch(), "batch.SubmitJob", fault)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    result = handle(
        sqs_event(s3_body(s3_record("slow.csv"))),
        LambdaContext(remaining_millis=30_000),
        sleep=sleep,
        random=lambda: 1.0,
        clock=lambda: now[0],
        submit_max_attempts=20,
    )

    assert len(result["batchItemFailures"]) == 1
    worst = clients.worst_case_seconds(clients.batch())
    assert 2 < len(started) < 20
    assert max(started) + worst <= 30 - CALL_MARGIN_SECONDS
