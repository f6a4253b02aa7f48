"""The whole retry path: ``retry`` of a failed file claims it again and submits a new job; late
events of the old job (its FAILED again, a late RUNNING, even before the new job is marked on
the claim) leave the new attempt alone; the new
job's events move the file to succeeded; and the runs' counts and summaries say so, whether the
file's run had already been reported or was still going."""

from __future__ import annotations

import functools
import json
import time
from typing import Any

import pytest

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.records import query, schema
from batch_pipeline_construct.runtime.records.handler import close_run_message, handle
from tests.runtime.operator.deployed import FUNCTION, deploy_function
from tests.runtime.records_support import (
    RecordsPipeline,
    attempt,
    batch_event,
    file_parameters,
    put_submitted_claims,
    records_pipeline,
    sqs_batch,
)
from tests.runtime.runtime_pipeline import Pipeline

QUIET = 300
FAILING = "a.csv"


@pytest.fixture
def records(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> RecordsPipeline:
    """The record function's resources, and the arrival function (with that record) deployed."""
    made = records_pipeline(monkeypatch, quiet_seconds=QUIET)
    pipeline.configure(**{settings.FILE_RECORDS_TABLE: made.table.name})
    deploy_function(FUNCTION, dict(pipeline.environ))
    return made


def deliver(now: float, *bodies: Any) -> None:
    assert handle(sqs_batch(*bodies), clock=lambda: now) == {"batchItemFailures": []}


def old_event(index: int, key: str, status: str, *, at: str) -> dict[str, Any]:
    """An event of ``job-<index>``, the job the arrival function first submitted for ``key``."""
    code = 3 if key == FAILING else 0
    final = status in ("SUCCEEDED", "FAILED")
    return batch_event(
        f"job-{index}",
        status,
        time=at,
        parameters=file_parameters(key),
        attempts=[attempt(code, log_stream=f"default/{index}")] if final else None,
        status_reason="Essential container in task exited" if status == "FAILED" else None,
    )


def new_event(job: dict[str, Any], status: str, *, at: str) -> dict[str, Any]:
    """An event of ``job`` (as Batch describes it), the job ``retry`` submitted."""
    final = status == "SUCCEEDED"
    return batch_event(
        job["jobId"],
        status,
        time=at,
        job_name=job["jobName"],
        parameters=job["parameters"],
        created_at_ms=job["createdAt"],
        attempts=[attempt(0, log_stream=f"default/{job['jobId']}")] if final else None,
    )


def record_of(records: RecordsPipeline, key: str) -> dict[str, Any]:
    item = records.table.client.get_item(
        TableName=records.table.name,
        Key={schema.PARTITION_KEY: {"S": f"pipeline-input/{key}#version=v1"}},
        ConsistentRead=True,
    )["Item"]
    return {
        "state": schema.state_of_item(item).value,
        "job": item.get(schema.JOB_ID, {}).get("S"),
        "run": item.get(schema.RUN_ID, {}).get("S"),
    }


def operator(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main([*argv, "--function", FUNCTION, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def summaries(records: RecordsPipeline) -> list[dict[str, Any]]:
    return [
        {name: message[name] for name in ("runId", "files", "succeeded", "failed")}
        for message in records.published()
        if message["kind"] == "run-summary"
    ]


def retry_and_replay_the_old_job(
    records: RecordsPipeline, pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """``retry``; then the old job's FAILED again and a late RUNNING of it; the new job."""
    retried = operator(capsys, "retry")
    assert (retried["selected"], retried["outcomes"]) == (1, {"submitted": 1})
    (job,) = pipeline.jobs()
    assert job["parameters"]["inputKey"] == FAILING
    assert record_of(records, FAILING) == {"state": "submitted", "job": job["jobId"], "run": None}

    now = time.time()
    deliver(now, old_event(0, FAILING, "FAILED", at="2026-11-24T22:10:00Z"))
    deliver(now, old_event(0, FAILING, "RUNNING", at="2026-11-24T22:11:00Z"))

    assert record_of(records, FAILING) == {"state": "submitted", "job": job["jobId"], "run": None}
    return job


def test_a_file_retried_after_its_run_was_reported_succeeds_in_a_run_of_its_own(
    records: RecordsPipeline, pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    put_submitted_claims(records.table, [FAILING, "b.csv"])
    started = time.time() - 3600
    deliver(started, old_event(0, FAILING, "FAILED", at="2026-11-24T22:10:00Z"))
    deliver(started, old_event(1, "b.csv", "SUCCEEDED", at="2026-11-24T22:10:00Z"))
    (first,) = query.list_runs(records.table)
    deliver(started + QUIET + 1, close_run_message(first.run_id))
    assert summaries(records) == [{"runId": first.run_id, "files": 2, "succeeded": 1, "failed": 1}]

    job = retry_and_replay_the_old_job(records, pipeline, capsys)
    now = time.time()
    deliver(now, new_event(job, "RUNNING", at="2026-11-25T09:00:00Z"))
    deliver(now, new_event(job, "SUCCEEDED", at="2026-11-25T09:01:00Z"))
    second = query.current_run(records.table)
    assert second is not None and second.run_id != first.run_id
    deliver(now + QUIET + 1, close_run_message(second.run_id))

    assert record_of(records, FAILING) == {
        "state": "succeeded",
        "job": job["jobId"],
        "run": second.run_id,
    }
    assert summaries(records) == [{"runId": second.run_id, "files": 1, "succeeded": 1, "failed": 0}]
    assert operator(capsys, "status")["counts"]["succeeded"] == 1  # the current run: the retry
    every_file = operator(capsys, "status", "--all")["counts"]
    assert (every_file["succeeded"], every_file["failed"]) == (2, 0)
    assert operator(capsys, "failed", "--run", first.run_id)["failed"] == []
    assert operator(capsys, "retry")["selected"] == 0
    assert len(pipeline.jobs()) == 1


def test_a_file_retried_while_its_run_goes_on_is_counted_once_in_that_run(
    records: RecordsPipeline, pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    put_submitted_claims(records.table, [FAILING, "b.csv", "c.csv"])
    started = time.time() - 60
    deliver(
        started,
        old_event(0, FAILING, "FAILED", at="2026-11-24T22:10:00Z"),
        old_event(1, "b.csv", "SUCCEEDED", at="2026-11-24T22:10:00Z"),
        old_event(2, "c.csv", "RUNNING", at="2026-11-24T22:10:00Z"),
    )
    (run,) = query.list_runs(records.table)

    job = retry_and_replay_the_old_job(records, pipeline, capsys)
    now = time.time()
    deliver(now, new_event(job, "RUNNING", at="2026-11-25T09:00:00Z"))
    deliver(
        now,
        new_event(job, "SUCCEEDED", at="2026-11-25T09:01:00Z"),
        old_event(2, "c.csv", "SUCCEEDED", at="2026-11-25T09:01:00Z"),
    )
    deliver(now + QUIET + 1, close_run_message(run.run_id))

    assert record_of(records, FAILING) == {
        "state": "succeeded",
        "job": job["jobId"],
        "run": run.run_id,
    }
    assert summaries(records) == [{"runId": run.run_id, "files": 3, "succeeded": 3, "failed": 0}]
    closed = query.get_run(records.table, run.run_id)
    assert closed is not None
    assert (closed.files, closed.finished, closed.failed) == (3, 3, 0)
    status = operator(capsys, "status")
    assert status["counts"]["succeeded"] == 3
    assert (status["run"]["files"], status["run"]["failed"]) == (3, 0)


def test_a_late_event_of_the_old_job_before_the_new_job_is_marked_changes_nothing(
    records: RecordsPipeline,
    pipeline: Pipeline,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    put_submitted_claims(records.table, [FAILING])
    deliver(time.time() - 3600, old_event(0, FAILING, "FAILED", at="2026-11-24T22:10:00Z"))
    claims_seen: list[dict[str, Any]] = []
    operator_batch = clients.batch

    @functools.cache
    def batch_delivering_the_old_event() -> Any:
        """The operator's Batch client: just before SubmitJob (the file claimed again, no job
        marked yet), the old job's FAILED event arrives once more."""

        def late_event(**_: Any) -> None:
            claims_seen.append(record_of(records, FAILING))
            deliver(time.time(), old_event(0, FAILING, "FAILED", at="2026-11-24T22:12:00Z"))

        client = operator_batch()
        client.meta.events.register("before-call.batch.SubmitJob", late_event, "late-old-event")
        return client

    monkeypatch.setattr(clients, "batch", batch_delivering_the_old_event)

    assert operator(capsys, "retry")["outcomes"] == {"submitted": 1}

    (job,) = pipeline.jobs()
    assert claims_seen == [{"state": "received", "job": None, "run": None}]
    assert record_of(records, FAILING) == {"state": "submitted", "job": job["jobId"], "run": None}
    deliver(time.time(), new_event(job, "SUCCEEDED", at="2026-11-25T09:01:00Z"))
    assert record_of(records, FAILING)["state"] == "succeeded"
