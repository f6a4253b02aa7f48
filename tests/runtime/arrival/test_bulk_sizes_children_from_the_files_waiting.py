"""Bulk mode reads how many files still wait in the arrival queue (one GetQueueAttributes call)
and sizes the array job's children from it; when that read fails, after botocore's retries, it
falls back to the guess made before (a batch cut at its limit has a wave behind it) and no file
is lost or doubled."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.arrival.bulk import count_read_seconds
from batch_pipeline_construct.runtime.arrival.handler import handler
from tests.runtime.runtime_pipeline import (
    OUTPUT_BUCKET,
    LambdaContext,
    Pipeline,
    s3_body,
    s3_record,
)
from tests.support import AwsFaults, Outcome, SimulatedClock, first_calls

LIMIT = 40
"""Files per array job; 10 files a child at most (while a backlog waits), 2 at least, 10
children at once: a wave is 100 files."""


@pytest.fixture
def packed(bulk: Pipeline) -> Pipeline:
    bulk.configure(
        **{
            settings.BULK_MAX_FILES: str(LIMIT),
            settings.FILES_PER_CHILD: "10",
            settings.CHILD_CAPACITY: "10",
            settings.MIN_CHILDREN: "2",
        }
    )
    return bulk


def deliver(pipeline: Pipeline, files: int, delivered: int = 10) -> dict[str, Any]:
    """``files`` notifications on the arrival queue; the event of the first ``delivered`` of
    them, received from the queue as Lambda's poller does (so they are in flight)."""
    for n in range(files):
        pipeline.send(s3_body(s3_record(f"in/{n}.csv")))
    received = boto3.client("sqs").receive_message(
        QueueUrl=pipeline.arrival_queue_url, MaxNumberOfMessages=delivered, VisibilityTimeout=600
    )["Messages"]
    return {
        "Records": [
            {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
            for m in received
        ]
    }


def run(pipeline: Pipeline, event: dict[str, Any]) -> tuple[int, list[str]]:
    """The handler on ``event`` (botocore's backoff in simulated time): the children of its one
    array job and the keys its manifest holds."""
    with SimulatedClock().botocore_sleeps():
        assert handler(event, LambdaContext()) == {"batchItemFailures": []}
    [job] = pipeline.jobs()
    [manifest] = boto3.client("s3").list_objects_v2(Bucket=OUTPUT_BUCKET, Prefix="_manifests/")[
        "Contents"
    ]
    body = boto3.client("s3").get_object(Bucket=OUTPUT_BUCKET, Key=manifest["Key"])["Body"]
    return job["arrayProperties"]["size"], [
        entry["key"] for entry in json.loads(body.read())["files"]
    ]


def first_keys(count: int) -> list[str]:
    return sorted(f"in/{n}.csv" for n in range(count))


@pytest.mark.parametrize(
    ("waiting", "children"),
    [
        (400, 4),  # four waves behind: the longest children, 10 files
        (20, 7),  # 60 files left for 10 children: 6 each, so 7 children of 5 or 6
        (0, 10),  # the queue is empty: spread over the 10 children that run at once
    ],
)
def test_children_are_sized_from_the_files_still_waiting(
    packed: Pipeline, waiting: int, children: int
) -> None:
    event = deliver(packed, LIMIT + waiting)
    faults = AwsFaults().install(clients.sqs())

    size, keys = run(packed, event)

    assert faults.count("sqs.GetQueueAttributes") == 1
    assert size == children
    assert len(keys) == LIMIT == len(set(keys))
    assert len(packed.queued()) == waiting


def test_a_count_read_on_its_second_attempt_still_sizes_the_children(packed: Pipeline) -> None:
    event = deliver(packed, LIMIT)
    faults = AwsFaults().install(clients.sqs())
    faults.add("sqs.GetQueueAttributes", first_calls(1, Outcome.reject("InternalError", 500)))

    size, _ = run(packed, event)

    assert faults.count("sqs.GetQueueAttributes") == 2  # botocore retried the 500
    assert size == 10


@pytest.mark.parametrize(
    ("files", "children"),
    [
        (LIMIT, 4),  # cut at its limit: packed as if a wave waited (the count would say spread)
        (LIMIT - 10, 10),  # the top-up emptied the queue: spread, as when nothing waits
    ],
)
def test_a_count_that_cannot_be_read_falls_back_to_the_guess_and_loses_no_file(
    packed: Pipeline, files: int, children: int
) -> None:
    event = deliver(packed, files)
    faults = AwsFaults().install(clients.sqs())
    faults.add("sqs.GetQueueAttributes", first_calls(99, Outcome.reject("InternalError", 500)))

    size, keys = run(packed, event)

    assert faults.count("sqs.GetQueueAttributes") == clients.MAX_ATTEMPTS
    assert size == children
    assert sorted(keys) == first_keys(files)
    assert packed.queued() == []


def test_a_lone_file_is_submitted_without_counting_the_queue(packed: Pipeline) -> None:
    event = deliver(packed, 1)
    faults = AwsFaults().install(clients.sqs())

    with SimulatedClock().botocore_sleeps():
        assert handler(event, LambdaContext()) == {"batchItemFailures": []}

    assert faults.count("sqs.GetQueueAttributes") == 0
    [job] = packed.jobs()
    assert "arrayProperties" not in job


def test_the_count_is_not_read_when_it_would_leave_the_submission_short_of_time(
    packed: Pipeline,
) -> None:
    event = deliver(packed, LIMIT)
    faults = AwsFaults().install(clients.sqs())
    # Enough for the manifest's write and the SubmitJob call, not for the count's read too.
    just_short = count_read_seconds() - clients.worst_case_seconds(clients.sqs())

    with SimulatedClock().botocore_sleeps():
        answer = handler(event, LambdaContext(remaining_millis=int(just_short * 1000)))

    assert answer == {"batchItemFailures": []}
    assert faults.count("sqs.GetQueueAttributes") == 0
    [job] = packed.jobs()
    assert job["arrayProperties"]["size"] == 4  # cut at its limit: packed, the guess
