"""The arrival function's claim is the start of the file's record: it says when the file was
received and which version of which object it is, in per-file and bulk mode, and a duplicate
delivery later keeps the first arrival time."""

from __future__ import annotations

import time

import boto3

from batch_pipeline_construct.runtime.arrival.handler import handler
from batch_pipeline_construct.runtime.records.model import FileRecord, file_record
from batch_pipeline_construct.runtime.records.schema import FileState
from tests.runtime.runtime_pipeline import (
    INPUT_BUCKET,
    LambdaContext,
    Pipeline,
    s3_body,
    s3_record,
    sqs_event,
)


def records(pipeline: Pipeline) -> dict[str, FileRecord]:
    items = boto3.client("dynamodb").scan(TableName=pipeline.table)["Items"]
    return {record.key: record for record in map(file_record, items)}


def test_a_file_is_recorded_with_its_arrival_time_and_version(pipeline: Pipeline) -> None:
    body = s3_body(s3_record("scans/plate 1.tif", version_id="3HL4kqtJlcpXroDT"))
    before = time.time()

    handler(sqs_event(body), LambdaContext())
    first = records(pipeline)["scans/plate 1.tif"]
    handler(sqs_event(body), LambdaContext())

    assert (first.bucket, first.version_id) == (INPUT_BUCKET, "3HL4kqtJlcpXroDT")
    assert first.state is FileState.SUBMITTED
    assert first.received_at is not None
    assert int(before) <= first.received_at <= time.time()
    assert records(pipeline)["scans/plate 1.tif"].received_at == first.received_at


def test_in_bulk_mode_every_file_is_recorded_with_its_arrival_time_and_version(
    bulk: Pipeline,
) -> None:
    bodies = [s3_body(s3_record(f"drop/{n}.csv", version_id=f"v{n}")) for n in range(5)]
    before = time.time()

    handler(sqs_event(*bodies), LambdaContext())
    after = time.time()

    found = records(bulk)
    assert sorted(found) == [f"drop/{n}.csv" for n in range(5)]
    for n in range(5):
        record = found[f"drop/{n}.csv"]
        assert record.version_id == f"v{n}"
        assert record.received_at is not None
        assert int(before) <= record.received_at <= after
        assert record.job_id is not None and record.state is FileState.SUBMITTED
