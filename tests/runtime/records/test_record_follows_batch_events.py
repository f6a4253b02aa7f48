"""A file's record follows its job's ``Batch Job State Change`` events, whatever order and however
often they come: duplicates and late events change nothing, a retried attempt is followed, a
job's final event is final, array children update their own files and the parent none."""

from __future__ import annotations

from typing import Any

import pytest

from batch_pipeline_construct.runtime.records import schema
from batch_pipeline_construct.runtime.records.events import job_event
from batch_pipeline_construct.runtime.records.handler import handle
from batch_pipeline_construct.runtime.records.model import FileRecord, file_record
from batch_pipeline_construct.runtime.records.schema import FileState
from batch_pipeline_construct.runtime.records.writer import RecordNotYetMarked, RecordWriter
from tests.runtime.records_support import (
    JOB_LOG_GROUP,
    RecordsPipeline,
    attempt,
    batch_event,
    file_parameters,
    put_claim,
    records_pipeline,
    sqs_batch,
)

JOB = "4c7599ae-0a82-49aa-ba5a-4727fcce14a8"
NOW = 1_641_944_400.0
FAILED_ATTEMPT = attempt(2, log_stream="pipeline/default/attempt-2")


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> RecordsPipeline:
    return records_pipeline(monkeypatch)


def record(records: RecordsPipeline, partition_key: str) -> FileRecord:
    item = records.table.client.get_item(
        TableName=records.table.name, Key={schema.PARTITION_KEY: {"S": partition_key}}
    )["Item"]
    return file_record(item)


def deliver(*events: dict[str, Any]) -> None:
    for event in events:
        assert handle(sqs_batch(event), clock=lambda: NOW) == {"batchItemFailures": []}


def per_file(status: str, time: str, **fields: Any) -> dict[str, Any]:
    return batch_event(JOB, status, time=time, parameters=file_parameters("report.csv"), **fields)


def test_events_in_order_take_the_file_to_its_outcome(records: RecordsPipeline) -> None:
    key = put_claim(records.table, "report.csv", submitted_job=JOB)

    deliver(per_file("RUNNABLE", "2026-11-24T22:00:01Z"))
    assert record(records, key).state is FileState.SUBMITTED
    deliver(per_file("STARTING", "2026-11-24T22:00:20Z"))
    deliver(per_file("RUNNING", "2026-11-24T22:00:31Z"))
    assert record(records, key).state is FileState.RUNNING
    deliver(
        per_file(
            "FAILED",
            "2026-11-24T22:01:31Z",
            attempts=[FAILED_ATTEMPT],
            status_reason="Essential container in task exited",
        )
    )

    failed = record(records, key)
    assert failed.state is FileState.FAILED
    assert failed.batch_status == "FAILED"
    assert (failed.exit_code, failed.attempts) == (2, 1)
    assert failed.status_reason == "Essential container in task exited"
    assert (failed.log_group, failed.log_stream) == (JOB_LOG_GROUP, "pipeline/default/attempt-2")
    assert failed.output_uri == "s3://pipeline-output/results/report.csv/"
    assert failed.run_id is not None
    assert failed.finished_at == pytest.approx(1_641_944_290.058)


def test_a_duplicate_final_event_changes_nothing_and_counts_once(records: RecordsPipeline) -> None:
    key = put_claim(records.table, "report.csv", submitted_job=JOB)
    succeeded = per_file(
        "SUCCEEDED",
        "2026-11-24T22:01:31Z",
        attempts=[attempt(0, log_stream="pipeline/default/ok", reason="")],
    )

    deliver(succeeded, succeeded, dict(succeeded, id="another-delivery"))

    assert record(records, key).state is FileState.SUCCEEDED
    run = records.table.client.get_item(
        TableName=records.table.name,
        Key={schema.PARTITION_KEY: {"S": schema.run_key(record(records, key).run_id or "")}},
    )["Item"]
    assert (run[schema.RUN_FILES]["N"], run[schema.RUN_FINISHED]["N"]) == ("1", "1")
    assert run[schema.RUN_SUCCEEDED]["N"] == "1"


def test_a_late_event_after_the_outcome_changes_nothing(records: RecordsPipeline) -> None:
    key = put_claim(records.table, "report.csv", submitted_job=JOB)

    deliver(
        per_file("SUCCEEDED", "2026-11-24T22:01:31Z", attempts=[attempt(0, log_stream="s")]),
        per_file("RUNNING", "2026-11-24T22:00:31Z"),
        per_file("RUNNABLE", "2026-11-24T22:00:01Z"),
    )

    assert record(records, key).state is FileState.SUCCEEDED
    assert record(records, key).batch_status == "SUCCEEDED"


def test_events_of_one_second_are_ordered_by_status(records: RecordsPipeline) -> None:
    key = put_claim(records.table, "report.csv", submitted_job=JOB)

    deliver(
        per_file("RUNNING", "2026-11-24T22:00:31Z"),
        per_file("STARTING", "2026-11-24T22:00:31Z"),
    )

    assert record(records, key).batch_status == "RUNNING"


def test_a_retried_attempt_is_followed_to_its_last_outcome(records: RecordsPipeline) -> None:
    key = put_claim(records.table, "report.csv", submitted_job=JOB)
    first = attempt(137, log_stream="pipeline/default/attempt-1", reason="OutOfMemoryError")

    deliver(per_file("RUNNING", "2026-11-24T22:00:31Z"))
    deliver(per_file("RUNNABLE", "2026-11-24T22:01:40Z", attempts=[first]))
    waiting = record(records, key)
    assert (waiting.state, waiting.attempts) == (FileState.SUBMITTED, 1)
    deliver(
        per_file(
            "SUCCEEDED",
            "2026-11-24T22:03:00Z",
            attempts=[first, attempt(0, log_stream="pipeline/default/attempt-2", reason="")],
        )
    )

    done = record(records, key)
    assert (done.state, done.attempts, done.exit_code) == (FileState.SUCCEEDED, 2, 0)
    assert done.log_stream == "pipeline/default/attempt-2"


def test_an_event_of_a_replaced_job_is_stale(records: RecordsPipeline) -> None:
    key = put_claim(records.table, "report.csv", submitted_job="the-retry")

    deliver(per_file("FAILED", "2026-11-24T22:01:31Z", attempts=[FAILED_ATTEMPT]))

    assert record(records, key).state is FileState.SUBMITTED
    assert record(records, key).job_id == "the-retry"


def test_a_record_reopened_by_retry_ignores_the_earlier_jobs_late_events(
    records: RecordsPipeline,
) -> None:
    # retry deleted the failed record and the arrival code claimed the file again, at NOW; the
    # new job is not submitted yet when a duplicate of the old job's FAILED event arrives.
    key = put_claim(records.table, "report.csv", received_at=NOW)
    old_job_created_ms = int((NOW - 3600) * 1000)

    deliver(
        per_file(
            "FAILED",
            "2026-11-24T22:01:31Z",
            attempts=[FAILED_ATTEMPT],
            created_at_ms=old_job_created_ms,
        )
    )

    reopened = record(records, key)
    assert (reopened.state, reopened.job_id, reopened.run_id) == (FileState.RECEIVED, None, None)
    new_job = batch_event(
        "the-retry",
        "SUCCEEDED",
        time="2026-11-24T23:01:31Z",
        parameters=file_parameters("report.csv"),
        attempts=[attempt(0, log_stream="pipeline/default/the-retry")],
        created_at_ms=int((NOW + 2) * 1000),
    )
    deliver(new_job)
    rerun = record(records, key)
    assert (rerun.state, rerun.job_id) == (FileState.SUCCEEDED, "the-retry")
    assert rerun.run_id is not None


def test_array_children_update_their_files_and_the_parent_none(records: RecordsPipeline) -> None:
    parent = "a1b2c3d4-0000-4000-8000-000000000001"
    keys = [
        put_claim(records.table, f"drop/{index}.tif", submitted_job=f"{parent}:{index}")
        for index in range(3)
    ]
    manifest = {"manifestUri": "s3://pipeline-output/_manifests/m.json", "count": "3"}

    deliver(
        batch_event(
            parent, "RUNNABLE", time="2026-11-24T22:00:01Z", parameters=manifest, array_size=3
        ),
        batch_event(
            f"{parent}:1",
            "FAILED",
            time="2026-11-24T22:02:00Z",
            parameters=manifest,
            array_index=1,
            attempts=[FAILED_ATTEMPT],
        ),
        batch_event(
            f"{parent}:0",
            "RUNNING",
            time="2026-11-24T22:01:00Z",
            parameters=manifest,
            array_index=0,
        ),
        batch_event(
            parent, "FAILED", time="2026-11-24T22:03:00Z", parameters=manifest, array_size=3
        ),
    )

    states = [record(records, key) for key in keys]
    assert [r.state for r in states] == [
        FileState.RUNNING,
        FileState.FAILED,
        FileState.SUBMITTED,
    ]
    assert (states[1].array_index, states[1].exit_code) == (1, 2)
    assert states[1].output_uri == "s3://pipeline-output/results/drop/1.tif/"


def test_a_bucket_without_versioning_finds_files_by_job(records: RecordsPipeline) -> None:
    key = schema.record_key("pipeline-input", "plain.csv", sequencer="0055AED6DCD90281E5")
    assert key is not None
    records.table.client.put_item(
        TableName=records.table.name,
        Item={
            schema.PARTITION_KEY: {"S": key},
            schema.CLAIM_STATUS: {"S": schema.CLAIM_SUBMITTED},
            schema.JOB_ID: {"S": JOB},
            schema.BUCKET: {"S": "pipeline-input"},
            schema.OBJECT_KEY: {"S": "plain.csv"},
        },
    )
    params = {k: v for k, v in file_parameters("plain.csv").items() if k != "versionId"}

    deliver(batch_event(JOB, "RUNNING", time="2026-11-24T22:00:31Z", parameters=params))

    assert record(records, key).state is FileState.RUNNING


def test_a_young_jobs_final_event_waits_for_its_record(records: RecordsPipeline) -> None:
    writer = RecordWriter(
        records.table.client,
        records.table.name,
        output_bucket="pipeline-output",
        retention_seconds=3600,
        clock=lambda: NOW,
    )
    unmarked = batch_event(
        "not-marked-yet",
        "SUCCEEDED",
        time="2026-11-24T22:01:31Z",
        created_at_ms=int((NOW - 60) * 1000),
    )

    with pytest.raises(RecordNotYetMarked):
        writer.apply(job_event(unmarked))
    result = handle(sqs_batch(unmarked), clock=lambda: NOW)
    assert len(result["batchItemFailures"]) == 1

    stranger = dict(unmarked, detail=dict(unmarked["detail"], createdAt=int((NOW - 3600) * 1000)))
    assert writer.apply(job_event(stranger)) == []


def test_messages_that_are_no_job_event_are_acknowledged(records: RecordsPipeline) -> None:
    result = handle(sqs_batch("not json", {"source": "aws.s3"}, [1, 2]), clock=lambda: NOW)

    assert result == {"batchItemFailures": []}


def test_each_write_keeps_the_record_for_the_retention_period(records: RecordsPipeline) -> None:
    key = put_claim(records.table, "report.csv", submitted_job=JOB)

    deliver(per_file("RUNNABLE", "2026-11-24T22:00:01Z"))

    item = records.table.client.get_item(
        TableName=records.table.name, Key={schema.PARTITION_KEY: {"S": key}}
    )["Item"]
    assert int(item[schema.TTL_ATTRIBUTE]["N"]) == int(NOW) + 90 * 24 * 3600
