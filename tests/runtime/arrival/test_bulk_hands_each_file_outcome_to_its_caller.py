"""Bulk mode hands its caller (the handler, the operator's ``reprocess`` and ``retry``) what
became of each file and why files were left without an outcome, as values, not only log lines."""

from __future__ import annotations

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.arrival.bulk import run_bulk
from batch_pipeline_construct.runtime.arrival.handler import handler
from batch_pipeline_construct.runtime.arrival.invocation import Invocation
from batch_pipeline_construct.runtime.settings import ArrivalSettings
from tests.runtime.runtime_pipeline import (
    LambdaContext,
    Pipeline,
    client_error,
    inject,
    s3_body,
    s3_record,
    sqs_event,
)


def invocation() -> Invocation:
    return Invocation(ArrivalSettings.from_environ(), lambda: 300_000)


def records(*keys: str) -> list[dict[str, str]]:
    event = sqs_event(*(s3_body(s3_record(key, version_id="v1")) for key in keys))
    return list(event["Records"])


def test_each_file_has_one_outcome(bulk: Pipeline) -> None:
    handler(sqs_event(s3_body(s3_record("done.csv", version_id="v1"))), LambdaContext())
    running = invocation()

    failed = run_bulk(records("done.csv", "a.csv", "b.csv"), running)

    assert failed == []
    assert sorted((outcome.ref.key, outcome.status) for outcome in running.outcomes) == [
        ("a.csv", "submitted"),
        ("b.csv", "submitted"),
        ("done.csv", "duplicate"),
    ]
    assert running.errors == []


def test_a_claim_that_fails_leaves_its_reason(bulk: Pipeline) -> None:
    inject(
        clients.dynamodb(),
        "dynamodb.UpdateItem",
        lambda _: client_error("ValidationException", 400, "UpdateItem"),
    )
    running = invocation()
    batch = records("a.csv", "b.csv")

    failed = run_bulk(batch, running)

    assert failed == [record["messageId"] for record in batch]
    assert running.outcomes == []
    assert len(running.errors) == 2
    assert all("ValidationException" in reason for reason in running.errors)
