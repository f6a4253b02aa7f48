"""A simulated run of many files, 37 of which fail, with duplicate and late events: the record
shows exactly the 37 failed (with their exit codes), and exactly one summary is published.

The run has 150 files, to keep the suite fast; issue 11's 10,000, with the operator commands run
on them, are checked by ``python -m benchmarks.records`` (see docs/performance.md).
"""

from __future__ import annotations

import csv
import io
import json
import random
from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.records import query
from batch_pipeline_construct.runtime.records.handler import handle
from batch_pipeline_construct.runtime.records.schema import FileState
from tests.runtime.records_support import (
    OUTPUT_BUCKET,
    RecordsPipeline,
    batch_event,
    file_parameters,
    final_event,
    put_submitted_claims,
    records_pipeline,
    sqs_batch,
)

FILES = 150
FAILURES = 37
BATCH = 100
START = 1_795_000_000.0
QUIET = 300


def key_of(index: int) -> str:
    return f"survey/plate-{index // 100:03d}/well-{index:05d}.tif"


def deliver(events: list[dict[str, Any]], now: float) -> None:
    for start in range(0, len(events), BATCH):
        result = handle(sqs_batch(*events[start : start + BATCH]), clock=lambda: now)
        assert result == {"batchItemFailures": []}


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> RecordsPipeline:
    return records_pipeline(monkeypatch, quiet_seconds=QUIET)


def test_a_run_with_37_failures_gives_one_summary_listing_exactly_them(
    records: RecordsPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(11)
    keys = [key_of(index) for index in range(FILES)]
    failing = set(rng.sample(range(FILES), FAILURES))
    put_submitted_claims(records.table, keys)
    close_messages: list[dict[str, Any]] = []
    clients.sqs().meta.events.register(
        "before-parameter-build.sqs.SendMessage",
        lambda params, **_: close_messages.append(json.loads(params["MessageBody"])),
    )
    finals = [final_event(index, key, failing) for index, key in enumerate(keys)]
    duplicates = rng.sample(finals, FILES // 50)
    late_running = [
        batch_event(
            f"job-{index}", "RUNNING", time="2026-11-24T22:05:00Z", parameters=file_parameters(key)
        )
        for index, key in rng.sample(list(enumerate(keys)), FILES // 50)
    ]
    events = finals + duplicates + late_running
    rng.shuffle(events)

    deliver(events, START)
    for message in {json.dumps(m, sort_keys=True) for m in close_messages}:
        deliver([json.loads(message)], START + QUIET + 1)
    capsys.readouterr()

    (run,) = query.list_runs(records.table)
    counts = query.counts_by_state(records.table, run_id=run.run_id)
    assert counts[FileState.FAILED] == FAILURES
    assert counts[FileState.SUCCEEDED] == FILES - FAILURES
    assert (run.files, run.finished, run.failed) == (FILES, FILES, FAILURES)
    failed = query.failed_files(records.table, run.run_id)
    assert sorted(record.key for record in failed) == sorted(keys[i] for i in failing)
    assert {record.exit_code for record in failed} == {3}
    assert all(record.log_url("us-east-1") for record in failed)

    (summary,) = records.published()
    assert summary["kind"] == "run-summary"
    assert (summary["files"], summary["failed"]) == (FILES, FAILURES)
    assert sorted(entry["key"] for entry in summary["failedFiles"]) == sorted(
        keys[i] for i in failing
    )
    report_key = summary["report"].removeprefix(f"s3://{OUTPUT_BUCKET}/")
    body = boto3.client("s3").get_object(Bucket=OUTPUT_BUCKET, Key=report_key)["Body"].read()
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == FILES
    assert sum(row["state"] == "failed" for row in rows) == FAILURES
