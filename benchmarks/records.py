"""The per-file record at scale: a run of many files, every one accounted for.

The real record function (``runtime.records.handler``) gets every file's final ``Batch Job State
Change`` event (with 2% duplicates and 2% late ``RUNNING`` events, shuffled), in SQS batches of
100, against moto (DynamoDB, S3, SNS, SQS) through real boto3 clients; then the run's close
message. It prints counts, not timings to trust:

* files accounted for: succeeded + failed + dead-lettered == files arrived;
* the run item's counts == the records' counts;
* report lines == files, and the failed files in it == the injected failures;
* summaries published == 1, listing exactly the failed files.

It also prints the wall time per batch of 100 events: moto's ``TransactWriteItems`` copies the
whole table for every item of a transaction, so the time per batch grows with the table, and the
run's with the square of its files, which is why the suite runs this path at 150 files
(``tests/runtime/records/test_run_with_37_failures_reports_exactly_them.py``) and this command
is where 10,000 are checked. DynamoDB does no such copy.

Run: ``python -m benchmarks.records --files 10000 --failures 37`` (from a checkout: it uses the
test helpers in ``tests/``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import time
from typing import Any

import boto3
import pytest
from moto import mock_aws

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.records import query
from batch_pipeline_construct.runtime.records.handler import close_run_message, handle
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

BATCH = 100
"""Events per invocation: the record function's event source batch size."""
START = 1_795_000_000.0
QUIET_SECONDS = 300


def key_of(index: int) -> str:
    """Input key of file ``index``."""
    return f"survey/plate-{index // 100:03d}/well-{index:05d}.tif"


def run(files: int, failures: int, seed: int) -> dict[str, Any]:
    """Deliver a run's events to the record function in moto; what it recorded and reported."""
    rng = random.Random(seed)
    keys = [key_of(index) for index in range(files)]
    failing = set(rng.sample(range(files), failures))
    with pytest.MonkeyPatch.context() as environment, mock_aws():
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            environment.setenv(name, value)
        clients.reset()
        records = records_pipeline(environment, quiet_seconds=QUIET_SECONDS)
        put_submitted_claims(records.table, keys)
        finals = [final_event(index, key, failing) for index, key in enumerate(keys)]
        late = [
            batch_event(
                f"job-{index}",
                "RUNNING",
                time="2026-11-24T22:05:00Z",
                parameters=file_parameters(key),
            )
            for index, key in rng.sample(list(enumerate(keys)), files // 50)
        ]
        events = finals + rng.sample(finals, files // 50) + late
        rng.shuffle(events)
        batch_seconds = _deliver(events, START)
        (run_record,) = query.list_runs(records.table)
        _deliver([json.loads(close_run_message(run_record.run_id))], START + QUIET_SECONDS + 1)
        result = _account(records, run_record.run_id, files, {keys[i] for i in failing})
        clients.reset()
    full = sorted(batch_seconds[: len(events) // BATCH]) or batch_seconds
    result["wall seconds"] = {
        "per batch of 100 events (median)": round(full[len(full) // 2], 1),
        "all events": round(sum(batch_seconds), 1),
    }
    return result


def _deliver(events: list[dict[str, Any]], now: float) -> list[float]:
    seconds: list[float] = []
    for start in range(0, len(events), BATCH):
        began = time.perf_counter()
        answer = handle(sqs_batch(*events[start : start + BATCH]), clock=lambda: now)
        seconds.append(time.perf_counter() - began)
        if answer["batchItemFailures"]:
            raise RuntimeError(f"the record function returned failures: {answer}")
    return seconds


def _account(
    records: RecordsPipeline, run_id: str, files: int, failing: set[str]
) -> dict[str, Any]:
    counts = query.counts_by_state(records.table, run_id=run_id)
    run_record = query.get_run(records.table, run_id)
    assert run_record is not None
    summaries = [m for m in records.published() if m.get("kind") == "run-summary"]
    rows: list[dict[str, str]] = []
    if summaries:
        key = str(summaries[0]["report"]).removeprefix(f"s3://{OUTPUT_BUCKET}/")
        body = boto3.client("s3").get_object(Bucket=OUTPUT_BUCKET, Key=key)["Body"].read()
        rows = list(csv.DictReader(io.StringIO(body.decode())))
    final = sum(counts[state] for state in (FileState.SUCCEEDED, FileState.FAILED))
    accounted = final + counts[FileState.DEAD_LETTERED]
    reported_failed = {row["key"] for row in rows if row["state"] == FileState.FAILED.value}
    listed = {entry["key"] for s in summaries for entry in s["failedFiles"]}
    omitted = sum(int(s["failedFilesOmitted"]) for s in summaries)
    checks = {
        "accounted == arrived": accounted == files,
        "run item == records": (run_record.files, run_record.finished, run_record.failed)
        == (files, final, counts[FileState.FAILED]),
        "report lines == files": len(rows) == files,
        "failed in report == injected": reported_failed == failing,
        "one summary": len(summaries) == 1,
        "summary lists the failed": listed == failing or (omitted and listed < failing),
    }
    return {
        "files": files,
        "arrived": files,
        "succeeded": counts[FileState.SUCCEEDED],
        "failed": counts[FileState.FAILED],
        "dead-lettered": counts[FileState.DEAD_LETTERED],
        "accounted": accounted,
        "run item": {
            "files": run_record.files,
            "finished": run_record.finished,
            "failed": run_record.failed,
        },
        "report lines": len(rows),
        "summaries": len(summaries),
        "checks": checks,
        "all checks hold": all(checks.values()),
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.records``: print the accounting of one simulated run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.records", description=__doc__)
    parser.add_argument("--files", type=int, default=10_000, help="files in the run")
    parser.add_argument("--failures", type=int, default=37, help="files whose job fails")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    result = run(args.files, args.failures, args.seed)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["all checks hold"] else 1)


if __name__ == "__main__":
    main()
