"""``status`` reads the current run with one Query of the by-run index (a Scan of the whole table
only with ``--all``), and ``status`` and ``failed`` show the files waiting in the arrival
dead-letter queue without taking them out of it, so ``redrive`` still finds every one."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime.arrival.dead_letter import send_to_dead_letter
from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.operator.dead_letters import NOT_SUBMITTED
from batch_pipeline_construct.runtime.operator.status import status
from batch_pipeline_construct.runtime.records import schema
from batch_pipeline_construct.runtime.records.query import RecordsTable
from tests.runtime.operator.deployed import FUNCTION, deploy_function
from tests.runtime.operator.seeded_records import seed_run
from tests.runtime.runtime_pipeline import INPUT_BUCKET, Pipeline
from tests.support.arrival_run import notification

EARLIER_RUN = "20261124T200000Z-99aa00"


@pytest.fixture
def function(pipeline: Pipeline, table: RecordsTable) -> str:
    return deploy_function(FUNCTION, dict(pipeline.environ))


def calls_to(table: RecordsTable) -> Counter[str]:
    """DynamoDB operations made through ``table``'s client from now on."""
    made: Counter[str] = Counter()
    table.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: made.update([model.name])
    )
    return made


def seed_earlier_run(table: RecordsTable, *, succeeded: int, failed: int) -> None:
    """Files of an earlier run, under keys of their own."""
    states = ["succeeded"] * succeeded + ["failed"] * failed
    for number, state in enumerate(states):
        key = schema.record_key(INPUT_BUCKET, f"earlier/{number}.csv", version_id="v1")
        assert key is not None
        table.client.put_item(
            TableName=table.name,
            Item={
                schema.PARTITION_KEY: {"S": key},
                schema.BUCKET: {"S": INPUT_BUCKET},
                schema.OBJECT_KEY: {"S": f"earlier/{number}.csv"},
                schema.STATE: {"S": state},
                schema.RUN_ID: {"S": EARLIER_RUN},
            },
        )


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_status_queries_the_current_run_and_scans_only_when_asked_for_all(
    table: RecordsTable,
) -> None:
    seed_run(table, files=40, failed={5})
    seed_earlier_run(table, succeeded=28, failed=2)
    made = calls_to(table)

    current = status(table)

    assert (current["scope"], current["counts"]["succeeded"], current["counts"]["failed"]) == (
        "run",
        39,
        1,
    )
    assert (made["Query"], made["Scan"]) == (1, 0)

    every = status(table, every_file=True)

    assert (every["scope"], every["counts"]["succeeded"], every["counts"]["failed"]) == (
        "all",
        67,
        3,
    )
    assert every["run"]["files"] == 40  # the current run's progress, as without --all
    assert made["Scan"] >= 1


def test_status_all_is_a_command_line_choice(
    function: str, table: RecordsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_run(table, files=4, failed={0})
    seed_earlier_run(table, succeeded=3, failed=0)

    assert run_json(capsys, "status", "--function", function)["counts"]["succeeded"] == 3
    assert run_json(capsys, "status", "--function", function, "--all")["counts"]["succeeded"] == 6


def test_status_and_failed_show_dead_letters_and_leave_them_for_redrive(
    function: str, pipeline: Pipeline, table: RecordsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_run(table, files=10, failed={4})
    sqs = boto3.client("sqs")
    url = pipeline.dead_letter_queue_url
    for key, version in (("raw/late 1.csv", "v1"), ("raw/late-2.csv", "v7")):
        sqs.send_message(QueueUrl=url, MessageBody=notification(key, version, INPUT_BUCKET))
    send_to_dead_letter(
        sqs, url, body="not json", reason="body-not-json", detail="Expecting value", message_id="m"
    )

    status = run_json(capsys, "status", "--function", function)
    failed = run_json(capsys, "failed", "--function", function)

    assert status["dead_letters_waiting"] == 3
    assert [file["key"] for file in failed["failed"]] == ["raw/sample-00004.csv"]
    assert sorted(failed["dead_letters"], key=lambda letter: str(letter["uri"])) == [
        {"uri": None, "version_id": None, "reason": "body-not-json: Expecting value"},
        {"uri": f"s3://{INPUT_BUCKET}/raw/late 1.csv", "version_id": "v1", "reason": NOT_SUBMITTED},
        {"uri": f"s3://{INPUT_BUCKET}/raw/late-2.csv", "version_id": "v7", "reason": NOT_SUBMITTED},
    ]
    assert len(pipeline.dead_letters()) == 3  # every message is still there, visible


def test_failed_lists_dead_letters_before_any_run(
    function: str, pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("sqs").send_message(
        QueueUrl=pipeline.dead_letter_queue_url,
        MessageBody=notification("raw/first.csv", "v1", INPUT_BUCKET),
    )

    assert main(["failed", "--function", function]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "1 dead letter in the arrival dead-letter queue (`batch-pipeline redrive` sends them back):",
        f"s3://{INPUT_BUCKET}/raw/first.csv  {NOT_SUBMITTED}",
    ]
