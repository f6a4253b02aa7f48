"""Malformed messages go to the dead-letter queue with their reason, unchanged, and are
acknowledged; if that is impossible they stay in the arrival queue."""

from __future__ import annotations

import json

import pytest

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.arrival.dead_letter import SOURCE_MESSAGE_ATTRIBUTE
from batch_pipeline_construct.runtime.arrival.handler import handler
from tests.runtime.runtime_pipeline import (
    LambdaContext,
    Pipeline,
    client_error,
    environment,
    inject,
    reason,
    s3_body,
    s3_record,
    sqs_event,
)

POISON = {
    "body-not-json": "this is not json {",
    "not-an-s3-event": json.dumps({"hello": "world"}),
    "unknown-bucket": s3_body(s3_record("a.csv", bucket="someone-elses-bucket")),
}


@pytest.mark.parametrize(("expected", "body"), POISON.items(), ids=POISON.keys())
def test_a_poison_message_is_dead_lettered_with_its_reason(
    pipeline: Pipeline, expected: str, body: str
) -> None:
    event = sqs_event(body, s3_body(s3_record("good.csv")))

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    [message] = pipeline.dead_letters()
    assert message["Body"] == body
    assert reason(message) == expected
    source = message["MessageAttributes"][SOURCE_MESSAGE_ATTRIBUTE]["StringValue"]
    assert source == event["Records"][0]["messageId"]
    [job] = pipeline.jobs()
    assert environment(job)["INPUT_KEY"] == "good.csv"


def test_an_incomplete_record_makes_the_whole_message_malformed(pipeline: Pipeline) -> None:
    broken = s3_record("b.csv")
    del broken["s3"]["object"]["key"]

    handler(sqs_event(s3_body(s3_record("a.csv"), broken)), LambdaContext())

    assert pipeline.jobs() == []
    assert [reason(m) for m in pipeline.dead_letters()] == ["not-an-s3-event"]


def test_if_the_dead_letter_queue_refuses_the_message_stays_queued(pipeline: Pipeline) -> None:
    inject(clients.sqs(), "sqs.SendMessage", lambda _: client_error("ServiceUnavailable", 503))
    event = sqs_event("not json")

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_without_a_dead_letter_queue_the_message_stays_queued(pipeline: Pipeline) -> None:
    pipeline.configure(**{settings.DEAD_LETTER_QUEUE_URL: None})
    event = sqs_event("not json")

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
