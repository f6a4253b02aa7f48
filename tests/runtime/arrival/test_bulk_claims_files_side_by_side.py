"""Bulk mode makes its table and queue calls side by side, and one file's failed claim holds back
only its own message: round trips must not be what limits an array job of 10,000 files."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.arrival.handler import handler
from tests.runtime.runtime_pipeline import (
    OUTPUT_BUCKET,
    LambdaContext,
    Pipeline,
    client_error,
    inject,
    s3_body,
    s3_record,
    sqs_event,
)


def _meet_at(barrier: threading.Barrier, met: list[bool], after: int = 0) -> Any:
    """A fault that raises nothing: the ``barrier.parties`` calls after the first ``after``
    wait for each other."""
    entered = itertools.count()
    lock = threading.Lock()

    def fault(_: dict[str, Any]) -> None:
        with lock:
            waits = after <= next(entered) < after + barrier.parties
        if waits:
            try:
                barrier.wait()
                met.append(True)
            except threading.BrokenBarrierError:
                met.append(False)

    return fault


@pytest.mark.parametrize(
    ("client", "operation", "after"),
    [
        ("dynamodb", "dynamodb.UpdateItem", 0),
        ("sqs", "sqs.ReceiveMessage", 1),  # the top-up's first round is one call
        ("sqs", "sqs.DeleteMessageBatch", 0),
    ],
)
def test_table_and_queue_calls_overlap(
    bulk: Pipeline, client: str, operation: str, after: int
) -> None:
    # Two calls can only both pass the barrier if they are in flight at the same time; run one
    # after the other, the first would wait out the timeout and break it.
    met: list[bool] = []
    for n in range(30):
        bulk.send(s3_body(s3_record(f"queued/{n}.csv", version_id="v1")))
    inject(
        getattr(clients, client)(),
        operation,
        _meet_at(threading.Barrier(2, timeout=10), met, after),
    )
    event = sqs_event(*(s3_body(s3_record(f"in/{n}.csv", version_id="v1")) for n in range(6)))

    assert handler(event, LambdaContext()) == {"batchItemFailures": []}

    assert met == [True, True]
    [job] = bulk.jobs()
    assert job["parameters"]["count"] == "36"  # every file in one array job
    assert bulk.queued() == []


def test_a_failed_claim_returns_only_its_message(bulk: Pipeline) -> None:
    def fault(params: dict[str, Any]) -> BaseException | None:
        failing = "in/bad.csv" in params["Key"]["pk"]["S"]
        return client_error("ValidationException", 400, "UpdateItem") if failing else None

    inject(clients.dynamodb(), "dynamodb.UpdateItem", fault)
    keys = ["in/0.csv", "in/bad.csv", "in/2.csv"]
    event = sqs_event(*(s3_body(s3_record(key, version_id="v1")) for key in keys))

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    [job] = bulk.jobs()
    assert job["arrayProperties"]["size"] == 2
    listing = boto3.client("s3").list_objects_v2(Bucket=OUTPUT_BUCKET, Prefix="_manifests/")
    assert len(listing["Contents"]) == 1
