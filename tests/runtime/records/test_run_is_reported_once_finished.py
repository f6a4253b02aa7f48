"""A run's report (every file, outcome, reason, log, output) is written to the output bucket and
one summary is published, once every file is final and no file can join any more."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.records import query, schema
from batch_pipeline_construct.runtime.records.handler import CLOSE_RUN_KIND, handle
from batch_pipeline_construct.runtime.records.report import RUN_REPORT_PREFIX, RUN_SUMMARY_KIND
from tests.runtime.records_support import (
    OUTPUT_BUCKET,
    RecordsPipeline,
    attempt,
    batch_event,
    file_parameters,
    put_claim,
    records_pipeline,
    sqs_batch,
)

START = 1_795_000_000.0
QUIET = 300
FILES = ["a.csv", "b.csv", "c.csv", "d e.csv", "f.csv"]
FAILING = {"b.csv": 2, "d e.csv": 137}


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> RecordsPipeline:
    return records_pipeline(monkeypatch, quiet_seconds=QUIET)


def sent_messages() -> list[dict[str, Any]]:
    """Parameters of every SendMessage call the record function makes."""
    calls: list[dict[str, Any]] = []
    clients.sqs().meta.events.register(
        "before-parameter-build.sqs.SendMessage",
        lambda params, **_: calls.append(dict(params)),
    )
    return calls


def job(key: str) -> str:
    return f"job-{key.replace(' ', '-')}"


def final_event(key: str) -> dict[str, Any]:
    code = FAILING.get(key, 0)
    return batch_event(
        job(key),
        "FAILED" if code else "SUCCEEDED",
        time="2026-11-24T22:05:00Z",
        parameters=file_parameters(key),
        attempts=[attempt(code, log_stream=f"pipeline/default/{job(key)}")],
        status_reason="Essential container in task exited" if code else None,
    )


def run_all(records: RecordsPipeline) -> None:
    for key in FILES:
        put_claim(records.table, key, submitted_job=job(key))
    runnable = [
        batch_event(
            job(key), "RUNNABLE", time="2026-11-24T22:00:00Z", parameters=file_parameters(key)
        )
        for key in FILES
    ]
    assert handle(sqs_batch(*runnable), clock=lambda: START) == {"batchItemFailures": []}
    finals = [final_event(key) for key in FILES]
    assert handle(sqs_batch(*finals), clock=lambda: START + 120) == {"batchItemFailures": []}


def test_a_finished_run_waits_for_its_quiet_gap_then_reports_once(
    records: RecordsPipeline,
) -> None:
    sent = sent_messages()
    run_all(records)

    assert records.published() == []
    assert len(sent) == 1
    close = json.loads(sent[0]["MessageBody"])
    assert close["kind"] == CLOSE_RUN_KIND
    assert sent[0]["DelaySeconds"] == QUIET - 120 + 1

    assert handle(sqs_batch(close), clock=lambda: START + QUIET + 1) == {"batchItemFailures": []}
    assert handle(sqs_batch(close), clock=lambda: START + QUIET + 2) == {"batchItemFailures": []}
    redelivered = [final_event(key) for key in FILES]
    assert handle(sqs_batch(*redelivered), clock=lambda: START + QUIET + 3) == {
        "batchItemFailures": []
    }

    published = records.published()
    assert len(published) == 1
    summary = published[0]
    assert summary["kind"] == RUN_SUMMARY_KIND
    assert summary["runId"] == close["runId"]
    assert (summary["files"], summary["succeeded"], summary["failed"]) == (5, 3, 2)
    assert {entry["key"]: entry["exitCode"] for entry in summary["failedFiles"]} == FAILING
    assert summary["failedFiles"][0]["log"].startswith("https://us-east-1.console.aws.amazon.com/")
    assert summary["failedFilesOmitted"] == 0
    assert (
        summary["report"] == f"s3://{OUTPUT_BUCKET}/{RUN_REPORT_PREFIX}{close['runId']}/report.csv"
    )
    run = query.get_run(records.table, close["runId"])
    assert run is not None and run.report_uri == summary["report"]


def test_the_report_lists_every_file_with_outcome_reason_log_and_output(
    records: RecordsPipeline,
) -> None:
    sent = sent_messages()
    run_all(records)
    close = json.loads(sent[0]["MessageBody"])
    handle(sqs_batch(close), clock=lambda: START + QUIET + 1)

    body = (
        boto3.client("s3")
        .get_object(Bucket=OUTPUT_BUCKET, Key=f"{RUN_REPORT_PREFIX}{close['runId']}/report.csv")[
            "Body"
        ]
        .read()
    )
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(body.decode()))}

    assert sorted(rows) == sorted(FILES)
    assert {key: row["state"] for key, row in rows.items()} == {
        key: "failed" if key in FAILING else "succeeded" for key in FILES
    }
    failed = rows["d e.csv"]
    assert (failed["exit_code"], failed["reason"]) == ("137", "Essential container in task exited")
    assert "job-d-e.csv" in failed["log"].replace("$252F", "/")
    assert failed["output"] == "s3://pipeline-output/results/d e.csv/"


def test_a_file_joining_late_keeps_the_run_open(records: RecordsPipeline) -> None:
    sent = sent_messages()
    run_all(records)
    put_claim(records.table, "late.csv", submitted_job=job("late.csv"))
    late = batch_event(
        job("late.csv"),
        "RUNNABLE",
        time="2026-11-24T22:04:00Z",
        parameters=file_parameters("late.csv"),
    )
    handle(sqs_batch(late), clock=lambda: START + 200)
    close = json.loads(sent[0]["MessageBody"])

    handle(sqs_batch(close), clock=lambda: START + QUIET + 1)
    assert records.published() == []

    handle(sqs_batch(final_event("late.csv")), clock=lambda: START + 200 + QUIET + 1)
    published = records.published()
    assert [(m["files"], m["failed"]) for m in published] == [(6, 2)]


def test_a_file_after_the_quiet_gap_starts_the_next_run(records: RecordsPipeline) -> None:
    sent = sent_messages()
    run_all(records)
    close = json.loads(sent[0]["MessageBody"])
    handle(sqs_batch(close), clock=lambda: START + QUIET + 1)
    put_claim(records.table, "next.csv", submitted_job=job("next.csv"))

    handle(sqs_batch(final_event("next.csv")), clock=lambda: START + 3600)

    runs = query.list_runs(records.table)
    assert [run.files for run in runs] == [1, 5]
    current = query.current_run(records.table)
    assert current is not None and current.run_id == runs[0].run_id != close["runId"]


def test_a_run_left_with_no_files_is_not_reported_empty(records: RecordsPipeline) -> None:
    # Its files were all retried before it closed (``retry`` takes each off the run's counts):
    # the run waits for their new jobs to join it instead of summarizing nothing.
    sent = sent_messages()
    run_all(records)
    close = json.loads(sent[0]["MessageBody"])
    records.table.client.update_item(
        TableName=records.table.name,
        Key={schema.PARTITION_KEY: {"S": schema.run_key(close["runId"])}},
        UpdateExpression="SET #files = :none, #finished = :none",
        ExpressionAttributeNames={"#files": schema.RUN_FILES, "#finished": schema.RUN_FINISHED},
        ExpressionAttributeValues={":none": {"N": "0"}},
    )

    assert handle(sqs_batch(close), clock=lambda: START + QUIET + 1) == {"batchItemFailures": []}

    assert records.published() == []
    run = query.get_run(records.table, close["runId"])
    assert run is not None and run.reported_at is None
