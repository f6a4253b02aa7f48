"""A run with 37 failures: ``status`` counts it, ``failed`` lists exactly the 37 with
reason, exit code and log link, and ``retry`` runs exactly those 37 again, once."""

from __future__ import annotations

import json
import random

import pytest

from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.operator.errors import EXIT_UNUSABLE
from batch_pipeline_construct.runtime.operator.status import render, status, watch
from batch_pipeline_construct.runtime.records.query import RecordsTable
from tests.runtime.operator.deployed import FUNCTION, deploy_function
from tests.runtime.operator.seeded_records import (
    LOG_GROUP,
    RUN,
    STARTED,
    SeededRun,
    put_file_record,
    seed_run,
)
from tests.runtime.runtime_pipeline import Pipeline, environment

FILES = 500
FAILED = set(random.Random(37).sample(range(FILES), 37))


@pytest.fixture
def function(pipeline: Pipeline, table: RecordsTable) -> str:
    """The arrival function, configured with the file-records table."""
    return deploy_function(FUNCTION, dict(pipeline.environ))


@pytest.fixture
def seeded(table: RecordsTable) -> SeededRun:
    return seed_run(table, files=FILES, failed=FAILED)


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_status_counts_the_run(
    function: str, seeded: SeededRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--function", function, "--json"]) == 0

    document = _json(capsys)
    assert isinstance(document, dict)
    assert document["counts"] == {
        "received": 0,
        "submitted": 0,
        "running": 0,
        "succeeded": FILES - 37,
        "failed": 37,
        "dead-lettered": 0,
    }
    assert document["run"]["run_id"] == RUN
    assert document["run"]["finished"] == FILES
    assert document["run"]["eta_seconds"] == 0


def test_status_shows_the_oldest_waiting_file_and_the_eta(
    table: RecordsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_run(table, files=100, failed={3}, running={10, 11}, waiting={40, 41, 42})

    document = status(table, now=STARTED + 100)

    assert document["oldest_waiting"] == {
        "uri": "s3://pipeline-input/raw/sample-00040.csv",
        "state": "submitted",
        "waiting_seconds": pytest.approx(99.6),
    }
    run = document["run"]
    assert (run["files"], run["finished"], run["failed"]) == (100, 95, 1)
    assert run["files_per_minute"] == pytest.approx(95 / 100 * 60)
    assert run["eta_seconds"] == pytest.approx(5 / 0.95)
    assert render(document).splitlines()[-2:] == [
        "oldest waiting: s3://pipeline-input/raw/sample-00040.csv (submitted, 1m40s)",
        f"run {RUN}: 95 of 100 finished, 1 failed, 57.0 files/min, ETA 5s",
    ]


def test_failed_lists_exactly_the_failed_files_with_reason_and_log(
    function: str, seeded: SeededRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["failed", "--function", function, "--json"]) == 0

    document = _json(capsys)
    assert isinstance(document, dict)
    listed = document["failed"]
    assert [file["key"] for file in listed] == seeded.failed
    first = listed[0]
    number = int(first["key"][-9:-4])
    assert first["exit_code"] == 2
    assert first["reason"] == f"ValueError: bad row {number}"
    assert first["log_url"] == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        f"#logsV2:log-groups/log-group/$252Faws$252Fbatch$252Flab-pipeline"
        f"/log-events/default$252Fjob$252F{number:05d}"
    )
    assert LOG_GROUP.strip("/") in first["log_url"].replace("$252F", "/")


def test_failed_for_a_person_and_as_keys(
    function: str, seeded: SeededRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["failed", "--function", function]) == 0
    human = capsys.readouterr().out.splitlines()
    assert human[0] == f"37 failed files in run {RUN}"
    assert human[1].startswith(f"s3://pipeline-input/{seeded.failed[0]}  exit 2  ValueError")
    assert human[2].startswith("    log: https://us-east-1.console.aws.amazon.com/")

    assert main(["failed", "--function", function, "--keys-only"]) == 0
    assert capsys.readouterr().out.splitlines() == seeded.failed


def test_retry_runs_exactly_the_failed_files_once(
    pipeline: Pipeline, function: str, seeded: SeededRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retry", "--function", function, "--json", "--rate", "1000"]) == 0

    document = _json(capsys)
    assert isinstance(document, dict)
    assert document["selected"] == 37
    assert document["outcomes"] == {"submitted": 37}
    assert sorted(environment(job)["INPUT_KEY"] for job in pipeline.jobs()) == seeded.failed
    assert {environment(job)["INPUT_VERSION_ID"] for job in pipeline.jobs()} == {
        f"v{number}" for number in FAILED
    }

    assert main(["retry", "--function", function, "--json"]) == 0  # nothing failed any more
    assert _json(capsys) == {
        "selected": 0,
        "skipped": {},
        "outcomes": {},
        "submit_calls": 0,
        "failures": [],
    }
    assert len(pipeline.jobs()) == 37


def test_retry_of_given_keys_skips_files_that_did_not_fail(
    pipeline: Pipeline, function: str, table: RecordsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket="pipeline-input", VersioningConfiguration={"Status": "Enabled"})
    versions = {
        key: s3.put_object(Bucket="pipeline-input", Key=key, Body=b"x")["VersionId"]
        for key in ("raw/ok.csv", "raw/bad.csv", "raw/new.csv")
    }
    _record(table, "raw/ok.csv", versions["raw/ok.csv"], "succeeded")
    _record(table, "raw/bad.csv", versions["raw/bad.csv"], "failed")

    code = main(
        ["retry", "--function", function, "--json"]
        + ["--key", "raw/ok.csv", "--key", "raw/bad.csv", "--key", "raw/new.csv"]
    )

    assert code == 0
    document = _json(capsys)
    assert isinstance(document, dict)
    assert document["skipped"] == {"not failed (succeeded)": 1}
    assert document["outcomes"] == {"submitted": 2}
    assert sorted(environment(job)["INPUT_KEY"] for job in pipeline.jobs()) == [
        "raw/bad.csv",
        "raw/new.csv",
    ]


def test_retry_in_bulk_mode_submits_one_array_job(
    bulk: Pipeline, function: str, seeded: SeededRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retry", "--function", function, "--json"]) == 0

    assert _json(capsys)["outcomes"] == {"submitted": 37}  # type: ignore[index]
    [job] = bulk.jobs()
    assert job["arrayProperties"]["size"] >= 2  # children share the 37 files (packing)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--run", "nope"], "no run 'nope' in the pipeline's record"),
        (["--run", RUN, "--key", "a.csv"], "give --run or keys (--key, --keys-from), not both"),
        (["--key", "missing.csv"], "no object 'missing.csv' in the input bucket 'pipeline-input'"),
    ],
)
def test_retry_refuses_what_it_cannot_find(
    function: str,
    seeded: SeededRun,
    arguments: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["retry", "--function", function, *arguments]) == EXIT_UNUSABLE
    assert capsys.readouterr().err == f"batch-pipeline: error: {message}\n"


def test_a_pipeline_without_a_record_is_told_so(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    from batch_pipeline_construct.runtime import settings

    pipeline.configure(**{settings.FILE_RECORDS_TABLE: None})
    deploy_function("no-record", dict(pipeline.environ))

    assert main(["status", "--function", "no-record"]) == EXIT_UNUSABLE
    assert capsys.readouterr().err == (
        "batch-pipeline: error: this pipeline keeps no per-file record"
        " (ArrivalOptions(file_records=False))\n"
    )


def _record(table: RecordsTable, key: str, version: str, state: str) -> None:
    from batch_pipeline_construct.runtime.records import schema

    put_file_record(table, key, version, state, **{schema.JOB_ID: {"S": "old-job"}})


def test_watch_refreshes_until_the_run_has_finished(
    table: RecordsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_run(table, files=20, failed={3}, running={10, 11})
    pauses: list[float] = []
    finish = iter([None, _finish_running])

    def read() -> dict[str, object]:
        step = next(finish, None)
        if step is not None:
            step(table)
        return status(table, now=STARTED + 100)

    watch(read, interval=7, as_json=True, sleep=pauses.append)

    snapshots = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["run"]["finished"] for s in snapshots] == [18, 20]
    assert pauses == [7]


def _finish_running(table: RecordsTable) -> None:
    from batch_pipeline_construct.runtime.records import schema

    for number in (10, 11):
        key = schema.record_key(
            "pipeline-input", f"raw/sample-{number:05d}.csv", version_id=f"v{number}"
        )
        assert key is not None
        table.client.update_item(
            TableName=table.name,
            Key={schema.PARTITION_KEY: {"S": key}},
            UpdateExpression="SET #state = :done",
            ExpressionAttributeNames={"#state": schema.STATE},
            ExpressionAttributeValues={":done": {"S": "succeeded"}},
        )
