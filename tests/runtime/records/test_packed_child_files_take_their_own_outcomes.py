"""The files of a packed array child each take their own outcome, as the child wrote it beside the
manifest: one bad file fails alone, a file the child never got to keeps the child's status and
reason, duplicate and late events change nothing, and the run summary counts the array job's
files and says where their outcomes are."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import boto3
import pytest

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.job.contract import JobContract
from batch_pipeline_construct.runtime.job.manifest import outcomes_uri
from batch_pipeline_construct.runtime.job.outcomes import ChildOutcomes, FileOutcome, LogLocation
from batch_pipeline_construct.runtime.records import schema
from batch_pipeline_construct.runtime.records.handler import close_run_message, handle
from batch_pipeline_construct.runtime.records.model import FileRecord, file_record
from batch_pipeline_construct.runtime.records.schema import FileState
from tests.runtime.records_support import (
    JOB_LOG_GROUP,
    OUTPUT_BUCKET,
    RecordsPipeline,
    attempt,
    batch_event,
    put_claim,
    records_pipeline,
    sqs_batch,
)
from tests.support.faults import AwsFaults, Outcome, first_calls

PARENT = "a1b2c3d4-0000-4000-8000-000000000001"
MANIFEST_URI = f"s3://{OUTPUT_BUCKET}/_manifests/20261124T220000Z-3f2a9c.json"
PARAMETERS = {"manifestUri": MANIFEST_URI}
NOW = 1_641_944_400.0
STARTED = datetime(2026, 11, 24, 22, 1, 0, tzinfo=UTC)
CHILD_EXITED = attempt(4, log_stream="pipeline/default/child-0", reason="some files failed")
CHILD_DIED = attempt(137, log_stream="pipeline/default/child-1", reason="OutOfMemoryError")


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> RecordsPipeline:
    return records_pipeline(monkeypatch, quiet_seconds=60)


def claims(records: RecordsPipeline) -> list[str]:
    """Four files in two children of one packed array job, as the arrival function marks them."""
    return [
        put_claim(records.table, f"drop/{n}.tif", submitted_job=f"{PARENT}:{n // 2}")
        for n in range(4)
    ]


def write_outcome(
    child: int,
    n: int,
    status: Literal["succeeded", "failed"],
    exit_code: int,
    reason: str | None,
) -> None:
    """What the job resolver writes for entry ``n`` (the real writer, against moto S3)."""
    outcomes = ChildOutcomes(
        boto3.client("s3"),
        outcomes_uri(MANIFEST_URI, child),
        manifest_uri=MANIFEST_URI,
        child=child,
    )
    outcomes.load()
    contract = JobContract(
        input_bucket="pipeline-input",
        input_key=f"drop/{n}.tif",
        output_bucket=OUTPUT_BUCKET,
        output_prefix=f"results/drop/{n}.tif/",
        version_id="v1",
    )
    outcomes.record(
        FileOutcome(
            index=n,
            contract=contract,
            status=status,
            exit_code=exit_code,
            attempts=1 if exit_code in (0, 3) else 3,
            reason=reason,
            started_at=STARTED,
            duration_seconds=12.5,
            log=LogLocation(JOB_LOG_GROUP, f"pipeline/default/child-{child}", f"[{n}] "),
        )
    )
    outcomes.flush()


def child_event(child: int, status: str, time: str, **fields: Any) -> dict[str, Any]:
    return batch_event(
        f"{PARENT}:{child}", status, time=time, parameters=PARAMETERS, array_index=child, **fields
    )


def deliver(*events: dict[str, Any] | str, now: float = NOW) -> dict[str, Any]:
    return handle(sqs_batch(*events), clock=lambda: now)


def record(records: RecordsPipeline, partition_key: str) -> FileRecord:
    item = records.table.client.get_item(
        TableName=records.table.name, Key={schema.PARTITION_KEY: {"S": partition_key}}
    )["Item"]
    return file_record(item)


def test_each_file_of_a_child_takes_its_own_outcome(records: RecordsPipeline) -> None:
    keys = claims(records)
    write_outcome(0, 0, "succeeded", 0, None)
    write_outcome(0, 1, "failed", 3, "exit code 3 (do not retry): bad header")

    failures = deliver(
        child_event(0, "RUNNING", "2026-11-24T22:01:00Z"),
        child_event(
            0, "FAILED", "2026-11-24T22:02:00Z", attempts=[CHILD_EXITED], status_reason="x"
        ),
    )

    assert failures == {"batchItemFailures": []}
    good, bad = record(records, keys[0]), record(records, keys[1])
    assert (good.state, good.exit_code, good.status_reason) == (FileState.SUCCEEDED, 0, None)
    assert good.batch_status == "FAILED"  # the child's status; the file's own state is above
    assert (bad.state, bad.exit_code, bad.attempts) == (FileState.FAILED, 3, 1)
    assert bad.status_reason == "exit code 3 (do not retry): bad header"
    assert (bad.log_group, bad.log_stream, bad.log_line_prefix) == (
        JOB_LOG_GROUP,
        "pipeline/default/child-0",
        "[1] ",
    )
    assert bad.duration_seconds == pytest.approx(12.5)
    assert bad.started_at == pytest.approx(STARTED.timestamp())
    assert bad.finished_at == pytest.approx(STARTED.timestamp() + 12.5)
    assert bad.output_uri == f"s3://{OUTPUT_BUCKET}/results/drop/1.tif/"
    assert bad.manifest_uri == MANIFEST_URI


def test_files_without_an_outcome_keep_the_childs_status_and_reason(
    records: RecordsPipeline,
) -> None:
    keys = claims(records)
    write_outcome(1, 2, "succeeded", 0, None)  # the child died while running entry 3

    deliver(
        child_event(
            1,
            "FAILED",
            "2026-11-24T22:02:00Z",
            attempts=[CHILD_DIED],
            status_reason="OutOfMemoryError: Container killed due to memory usage",
        )
    )

    done, lost = record(records, keys[2]), record(records, keys[3])
    assert done.state is FileState.SUCCEEDED
    assert (lost.state, lost.exit_code) == (FileState.FAILED, 137)
    assert lost.status_reason == "OutOfMemoryError: Container killed due to memory usage"
    assert lost.log_stream == "pipeline/default/child-1"


def test_a_duplicate_or_late_child_event_changes_no_file(records: RecordsPipeline) -> None:
    keys = claims(records)
    write_outcome(0, 0, "succeeded", 0, None)
    write_outcome(0, 1, "failed", 2, "exit code 2 after 3 attempts: disk full")
    final = child_event(0, "FAILED", "2026-11-24T22:02:00Z", attempts=[CHILD_EXITED])
    deliver(final)
    before = [record(records, key) for key in keys[:2]]

    # The object is rewritten later (another attempt's leftovers): the record keeps what it read.
    write_outcome(0, 1, "succeeded", 0, None)
    deliver(final, child_event(0, "RUNNING", "2026-11-24T22:01:30Z"), final)

    assert [record(records, key) for key in keys[:2]] == before
    run = records.table.client.get_item(
        TableName=records.table.name,
        Key={schema.PARTITION_KEY: {"S": schema.run_key(str(before[0].run_id))}},
    )["Item"]
    assert (run[schema.RUN_FINISHED]["N"], run[schema.RUN_FAILED]["N"]) == ("2", "1")


def test_an_unreadable_outcome_object_returns_the_event_for_another_try(
    records: RecordsPipeline,
) -> None:
    keys = claims(records)
    write_outcome(0, 1, "failed", 3, "bad header")
    faults = AwsFaults().install(clients.s3())
    faults.add("s3.GetObject", first_calls(1, Outcome.reject("AccessDenied", 403)))
    final = child_event(0, "FAILED", "2026-11-24T22:02:00Z", attempts=[CHILD_EXITED])

    assert len(deliver(final)["batchItemFailures"]) == 1
    assert record(records, keys[1]).state is FileState.SUBMITTED
    assert deliver(final) == {"batchItemFailures": []}
    assert record(records, keys[1]).state is FileState.FAILED


def test_the_run_summary_counts_the_array_jobs_files_and_names_their_outcomes(
    records: RecordsPipeline,
) -> None:
    keys = claims(records)
    write_outcome(0, 0, "succeeded", 0, None)
    write_outcome(0, 1, "failed", 3, "bad header")
    write_outcome(1, 2, "succeeded", 0, None)
    write_outcome(1, 3, "succeeded", 0, None)
    deliver(
        child_event(0, "FAILED", "2026-11-24T22:02:00Z", attempts=[CHILD_EXITED]),
        child_event(1, "SUCCEEDED", "2026-11-24T22:02:05Z", attempts=[attempt(0, log_stream="s")]),
    )
    deliver(close_run_message(str(record(records, keys[0]).run_id)), now=NOW + 3600)

    [summary] = [m for m in records.published() if m.get("kind") == "run-summary"]
    assert (summary["files"], summary["succeeded"], summary["failed"]) == (4, 3, 1)
    assert summary["arrayJobs"] == [
        {
            "jobId": PARENT,
            "files": 4,
            "succeeded": 3,
            "failed": 1,
            "manifest": MANIFEST_URI,
            "outcomes": f"s3://{OUTPUT_BUCKET}/_manifests/20261124T220000Z-3f2a9c/outcomes/",
        }
    ]
    assert [failed["key"] for failed in summary["failedFiles"]] == ["drop/1.tif"]
