"""A claim left PENDING by a crashed invocation is taken over once its lease ends; one being
submitted right now makes the duplicate wait; an expired claim counts as absent."""

from __future__ import annotations

import boto3

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.arrival.handler import handle
from batch_pipeline_construct.runtime.arrival.idempotency import Claim, Ledger, Taken
from batch_pipeline_construct.runtime.arrival.s3_events import ObjectRef
from tests.runtime.runtime_pipeline import (
    INPUT_BUCKET,
    LambdaContext,
    Pipeline,
    s3_body,
    s3_record,
    sqs_event,
)

REF = ObjectRef(bucket=INPUT_BUCKET, key="crash.csv", version_id="v1")
BODY = s3_body(s3_record("crash.csv", version_id="v1"))
NAME = "file-crash-csv-0123456789"


def ledger(pipeline: Pipeline) -> Ledger:
    return Ledger(clients.dynamodb(), pipeline.table, ttl_seconds=3600)


def test_a_live_pending_claim_makes_the_delivery_wait(pipeline: Pipeline) -> None:
    assert isinstance(
        ledger(pipeline).claim(REF, now=1000.0, lease_seconds=300, job_name=NAME), Claim
    )
    event = sqs_event(BODY)

    result = handle(event, LambdaContext(), wall_clock=lambda: 1100.0)

    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert pipeline.jobs() == []


def test_an_expired_lease_is_taken_over(pipeline: Pipeline) -> None:
    ledger(pipeline).claim(REF, now=1000.0, lease_seconds=300, job_name=NAME)

    result = handle(sqs_event(BODY), LambdaContext(), wall_clock=lambda: 1400.0)

    assert result == {"batchItemFailures": []}
    assert len(pipeline.jobs()) == 1


def test_a_submitted_claim_past_its_ttl_counts_as_absent(pipeline: Pipeline) -> None:
    handle(sqs_event(BODY), LambdaContext(), wall_clock=lambda: 1000.0)
    duplicate = ledger(pipeline).claim(REF, now=1000.0 + 1800, lease_seconds=300, job_name=NAME)
    assert isinstance(duplicate, Taken) and duplicate.state == "duplicate"

    # The claim lives as long as the record (one retention for the table), not a week.
    handle(sqs_event(BODY), LambdaContext(), wall_clock=lambda: 1000.0 + 7 * 24 * 3600 + 1)
    assert len(pipeline.jobs()) == 1

    past_retention = 1000.0 + settings.DEFAULT_RECORD_RETENTION_SECONDS + 1
    handle(sqs_event(BODY), LambdaContext(), wall_clock=lambda: past_retention)

    assert len(pipeline.jobs()) == 2


def test_release_leaves_a_taken_over_claim_alone(pipeline: Pipeline) -> None:
    table = ledger(pipeline)
    stale = table.claim(REF, now=1000.0, lease_seconds=10, job_name=NAME)
    fresh = table.claim(REF, now=2000.0, lease_seconds=10, job_name=NAME)
    assert isinstance(stale, Claim) and isinstance(fresh, Claim)

    table.release(stale)

    [item] = boto3.client("dynamodb").scan(TableName=pipeline.table)["Items"]
    assert item["token"]["S"] == fresh.token
