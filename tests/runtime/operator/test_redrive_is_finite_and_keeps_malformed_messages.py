"""``redrive`` moves dead letters back with their attributes, leaves malformed ones (and why)
in the dead-letter queue, and always ends: at an empty queue, ``--max`` or the time limit."""

from __future__ import annotations

import json

import boto3
import pytest

from batch_pipeline_construct.runtime.arrival.dead_letter import send_to_dead_letter
from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.operator.redrive import redrive
from batch_pipeline_construct.runtime.settings import ArrivalSettings
from tests.runtime.runtime_pipeline import Pipeline, reason, s3_body, s3_record


def _dead_letter(pipeline: Pipeline, count: int, *, traced: bool = False) -> list[str]:
    sqs = boto3.client("sqs")
    bodies = [s3_body(s3_record(f"retry/{n}.csv")) for n in range(count)]
    for body in bodies:
        sqs.send_message(
            QueueUrl=pipeline.dead_letter_queue_url,
            MessageBody=body,
            MessageAttributes=(
                {"lab-batch": {"DataType": "String", "StringValue": "2026-11"}} if traced else {}
            ),
        )
    return bodies


def _malformed(pipeline: Pipeline, count: int) -> None:
    for n in range(count):
        send_to_dead_letter(
            boto3.client("sqs"),
            pipeline.dead_letter_queue_url,
            body=f"not json {n}",
            reason="body-not-json",
            detail="Expecting value: line 1 column 1 (char 0)",
            message_id=f"m{n}",
        )


def test_redrive_moves_dead_letters_back_with_their_attributes(
    pipeline: Pipeline, function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = _dead_letter(pipeline, 13, traced=True)

    assert main(["redrive", "--function", function, "--max", "5"]) == 0
    assert capsys.readouterr().out == (
        "moved 5 messages to the arrival queue\nstopped at the --max\n"
    )
    assert main(["redrive", "--function", function]) == 0
    assert capsys.readouterr().out == "moved 8 messages to the arrival queue\n"

    assert pipeline.dead_letters() == []
    queued = pipeline.queued()
    assert sorted(m["Body"] for m in queued) == sorted(bodies)
    assert {m["MessageAttributes"]["lab-batch"]["StringValue"] for m in queued} == {"2026-11"}


def test_malformed_messages_stay_dead_lettered_with_their_reason(
    pipeline: Pipeline, function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = _dead_letter(pipeline, 4)
    _malformed(pipeline, 3)

    assert main(["redrive", "--function", function, "--json"]) == 0

    assert json.loads(capsys.readouterr().out) == {
        "moved": 4,
        "failed": 0,
        "malformed": 3,
        "malformed_reasons": {"body-not-json": 3},
        "stopped_by": "empty",
    }
    assert sorted(m["Body"] for m in pipeline.queued()) == sorted(bodies)
    kept = pipeline.dead_letters()  # visible again at once: an operator can read them
    assert sorted(m["Body"] for m in kept) == ["not json 0", "not json 1", "not json 2"]
    assert {reason(m) for m in kept} == {"body-not-json"}


def test_the_human_summary_says_why_messages_stayed(
    pipeline: Pipeline, function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _malformed(pipeline, 2)

    assert main(["redrive", "--function", function]) == 0

    assert capsys.readouterr().out == (
        "moved 0 messages to the arrival queue\n"
        "left 2 malformed messages in the dead-letter queue (body-not-json: 2);"
        " their bpc-reason and bpc-detail attributes say why\n"
    )


def test_a_queue_of_only_malformed_messages_is_read_once(pipeline: Pipeline) -> None:
    _malformed(pipeline, 25)
    sqs = boto3.client("sqs")
    receives: list[object] = []
    sqs.meta.events.register(
        "before-parameter-build.sqs.ReceiveMessage", lambda **kw: receives.append(kw)
    )

    result = redrive(ArrivalSettings.from_environ(pipeline.environ), sqs=sqs)

    assert sum(result.malformed.values()) == 25
    assert result.stopped_by == "empty"
    assert len(receives) == 4  # 3 receives of up to 10 messages, then one empty long poll


def test_the_time_limit_ends_a_queue_that_keeps_filling(pipeline: Pipeline) -> None:
    sqs = boto3.client("sqs")
    now = [0.0]

    def refill(**_: object) -> None:  # every receive finds a new dead letter, and takes 60 s
        _dead_letter(pipeline, 1)
        now[0] += 60

    sqs.meta.events.register("before-parameter-build.sqs.ReceiveMessage", refill)

    result = redrive(
        ArrivalSettings.from_environ(pipeline.environ),
        time_limit=300,
        sqs=sqs,
        clock=lambda: now[0],
    )

    assert result.stopped_by == "time-limit"
    assert result.moved == 5
