"""The per-file record at scale: a run of many files, every one accounted for, and the operator
commands on it.

The real record function (``runtime.records.handler``) gets every file's final ``Batch Job State
Change`` event (with 2% duplicates and 2% late ``RUNNING`` events, shuffled), in SQS batches of
100, against moto (DynamoDB, S3, SNS, SQS, Batch, Lambda) through real boto3 clients; then the
run's close message. Then the operator commands run against the same moto state as a user runs
them (``batch-pipeline status``, ``failed``, ``retry``, ``retry`` again, through
``runtime.operator.cli.main``, the pipeline's arrival function deployed in moto), and their
terminal output is printed and checked. It prints counts, not timings to trust:

* files accounted for: succeeded + failed + dead-lettered == files arrived;
* the run item's counts == the records' counts;
* report lines == files, and the failed files in it == the injected failures;
* summaries published == 1, listing exactly the failed files;
* ``status`` shows (files - failures) succeeded and the failures failed, nothing else;
* ``failed`` lists exactly the injected failures, each once, with its exit code and reason;
* ``retry`` submits exactly the failed files (the jobs moto holds afterwards, and the keys they
  carry) and no other; a second ``retry`` submits none; no further summary is published.

moto's ``TransactWriteItems`` deep-copies the whole table for every item of a transaction (its
rollback), which makes a run's time grow with the square of its files (10,000 files: about 9
hours). So the run goes through :func:`tests.support.moto_transactions.item_snapshot_transactions`,
which snapshots only the items a transaction touches and is proven to leave what plain moto
leaves; ``--plain-moto`` runs without it, for comparison. Wall times are printed too.

Run: ``python -m benchmarks.records --files 10000 --failures 37`` (from a checkout: it uses the
test helpers in ``tests/``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.operator import cli
from batch_pipeline_construct.runtime.records import query
from batch_pipeline_construct.runtime.records.handler import close_run_message, handle
from batch_pipeline_construct.runtime.records.schema import FileState
from tests.runtime.operator.deployed import FUNCTION, deploy_function
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
from tests.runtime.runtime_pipeline import (
    INPUT_BUCKET,
    Pipeline,
    create_runtime_pipeline,
    environment,
)
from tests.support.moto_transactions import item_snapshot_transactions

BATCH = 100
"""Events per invocation: the record function's event source batch size."""
START = 1_795_000_000.0
QUIET_SECONDS = 300
FAILED_SHOWN = 3
"""Files of ``failed``'s output printed at its start and at its end."""


def key_of(index: int) -> str:
    """Input key of file ``index``."""
    return f"survey/plate-{index // 100:03d}/well-{index:05d}.tif"


@dataclass(frozen=True)
class Command:
    """One operator command as a user ran it: its arguments, exit status and terminal output."""

    argv: list[str]
    exit_code: int
    output: str

    def shown(self, *, head: int | None = None, tail: int = 0) -> str:
        """The command line and its output, cut to ``head`` and ``tail`` lines when longer."""
        lines = self.output.rstrip("\n").splitlines()
        if head is not None and len(lines) > head + tail + 1:
            cut = len(lines) - head - tail
            lines = [*lines[:head], f"... ({cut:,} lines more) ...", *lines[-tail:]]
        return "\n".join(
            [f"$ batch-pipeline {' '.join(self.argv)}   (exit {self.exit_code})", *lines]
        )


def operate(*argv: str) -> Command:
    """Run ``batch-pipeline ARGV --function <the arrival function>``; its terminal output."""
    out = io.StringIO()
    arguments = [*argv, "--function", FUNCTION]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(arguments)
    return Command(arguments, code, out.getvalue())


@contextlib.contextmanager
def moto_session(*, plain_moto: bool) -> Iterator[pytest.MonkeyPatch]:
    """moto (no Docker) with test credentials, its transactions with item snapshots unless
    ``plain_moto``; the environment, for the functions' settings."""
    with (
        pytest.MonkeyPatch.context() as environ,
        mock_aws(config={"batch": {"use_docker": False}, "lambda": {"use_docker": False}}),
        contextlib.nullcontext() if plain_moto else item_snapshot_transactions(),
    ):
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }.items():
            environ.setenv(name, value)
        clients.reset()
        try:
            yield environ
        finally:
            clients.reset()


def run(files: int, failures: int, seed: int, *, plain_moto: bool = False) -> dict[str, Any]:
    """Deliver a run's events to the record function in moto, then run the operator commands
    on it; what was recorded, reported and shown."""
    began = time.perf_counter()
    rng = random.Random(seed)
    keys = [key_of(index) for index in range(files)]
    failing = set(rng.sample(range(files), failures))
    with moto_session(plain_moto=plain_moto) as environ:
        made = create_runtime_pipeline()
        arrival = Pipeline(
            made.job_queue_arn, made.queue_url, made.dead_letter_queue_url, made.table, environ
        )
        records = records_pipeline(environ, quiet_seconds=QUIET_SECONDS)
        deploy_function(
            FUNCTION,
            {
                **made.environ,
                settings.FILE_RECORDS_TABLE: records.table.name,
                settings.OUTPUT_ROOT_PREFIX: "results/",
            },
        )
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
        failing_keys = {keys[i] for i in failing}
        result = _account(records, run_record.run_id, files, failing_keys)
        recorded = time.perf_counter()
        commands, checks = _operate(records, arrival, files, failing_keys)
        operated = time.perf_counter()
    full = sorted(batch_seconds[: len(events) // BATCH]) or batch_seconds
    result["commands"] = [command.argv[0] for command in commands]
    result["checks"].update(checks)
    result["all checks hold"] = all(result["checks"].values())
    result["moto transactions"] = "plain" if plain_moto else "item snapshots"
    result["wall seconds"] = {
        "per batch of 100 events (median)": round(full[len(full) // 2], 2),
        "all events": round(sum(batch_seconds), 1),
        "operator commands": round(operated - recorded, 1),
        "whole run": round(operated - began, 1),
    }
    result["outputs"] = [
        command.shown(head=1 + 2 * FAILED_SHOWN, tail=2 * FAILED_SHOWN)
        if command.argv[0] == "failed"
        else command.shown()
        for command in commands
    ]
    return result


def _deliver(events: list[dict[str, Any]], now: float) -> list[float]:
    seconds: list[float] = []
    for start in range(0, len(events), BATCH):
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the function's log lines
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


_COUNT_LINE = re.compile(r"^  (\S+)\s+([\d,]+)$")
_FAILED_LINE = re.compile(rf"^s3://{INPUT_BUCKET}/(\S+)  exit (\d+)  (.+)$")


def _operate(
    records: RecordsPipeline, arrival: Pipeline, files: int, failing: set[str]
) -> tuple[list[Command], dict[str, bool]]:
    """``status``, ``failed``, ``retry`` and ``retry`` again, as a user runs them; the checks."""
    status = operate("status")
    counts = {
        match[1]: int(match[2].replace(",", ""))
        for line in status.output.splitlines()
        if (match := _COUNT_LINE.match(line))
    }
    failed = operate("failed")
    listed = [
        match.groups() for line in failed.output.splitlines() if (match := _FAILED_LINE.match(line))
    ]
    jobs_before = len(arrival.jobs())
    retry = operate("retry")
    retried = [environment(job)["INPUT_KEY"] for job in arrival.jobs()]
    again = operate("retry")
    jobs_after_again = len(arrival.jobs())
    summaries_after = [m for m in records.published() if m.get("kind") == "run-summary"]
    expected_counts = dict.fromkeys((state.value for state in FileState), 0)
    expected_counts |= {"succeeded": files - len(failing), "failed": len(failing)}
    checks = {
        "status exits 0": status.exit_code == 0,
        "status counts == (succeeded, failed)": counts == expected_counts,
        "failed exits 0": failed.exit_code == 0,
        "failed lists exactly the injected, once each": sorted(key for key, _, _ in listed)
        == sorted(failing),
        "failed shows exit code and reason": all(
            code == "3" and reason == "Essential container in task exited"
            for _, code, reason in listed
        ),
        "retry exits 0": retry.exit_code == 0,
        "retry submits exactly the failed": jobs_before == 0 and sorted(retried) == sorted(failing),
        "second retry exits 0": again.exit_code == 0,
        "second retry submits none": jobs_after_again == len(failing),
        "no further summary": summaries_after == [],
    }
    return [status, failed, retry, again], checks


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.records``: print the accounting of one simulated run, the operator
    commands' output on it, and the checks; exit 1 unless every check holds."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.records", description=__doc__)
    parser.add_argument("--files", type=int, default=10_000, help="files in the run")
    parser.add_argument("--failures", type=int, default=37, help="files whose job fails")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--plain-moto",
        action="store_true",
        help="moto's own TransactWriteItems (a copy of the table per item): for comparison",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    result = run(args.files, args.failures, args.seed, plain_moto=args.plain_moto)
    for output in result.pop("outputs"):
        print(output, end="\n\n")
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["all checks hold"] else 1)


if __name__ == "__main__":
    main()
