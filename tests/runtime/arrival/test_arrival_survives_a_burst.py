"""A burst of thousands of uploads, with throttling, server errors, client errors, duplicate
deliveries and poison messages: every file ends as exactly one job (or, after the queue's
maximum receive count, one dead letter), every poison message as exactly one dead letter."""

from __future__ import annotations

import json
import random
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import pytest

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.arrival.handler import handle
from tests.runtime.runtime_pipeline import (
    FakeSleep,
    LambdaContext,
    Pipeline,
    client_error,
    inject,
    reason,
    s3_body,
    s3_record,
    sqs_record,
)

MAX_RECEIVE_COUNT = 3


@dataclass
class Burst:
    jobs: Counter[tuple[str, str]]
    redriven_files: set[tuple[str, str]]
    dead_letters: list[dict[str, Any]]
    submit_calls: int
    sleeps: int
    invocations: int


def run_burst(
    pipeline: Pipeline, *, files: int, duplicates: int, poison: int, submit_max_attempts: int
) -> Burst:
    rng = random.Random(20260101)
    bodies = [
        s3_body(s3_record(f"burst/{n:05d} file.csv", version_id=f"v{n}")) for n in range(files)
    ]
    bodies += rng.sample(bodies, duplicates)
    bodies += [f"poison {n}" for n in range(poison)]
    rng.shuffle(bodies)

    def fault(_: dict[str, Any]) -> BaseException | None:
        roll = rng.random()
        if roll < 0.15:
            return client_error("TooManyRequestsException", 429)
        if roll < 0.18:
            return client_error("ServerException", 500)
        if roll < 0.19:
            return client_error("ClientException", 400)
        return None

    calls = inject(clients.batch(), "batch.SubmitJob", fault)
    sleep = FakeSleep()
    # The event source mapping, played in memory (moto's SQS is quadratic in the queue length):
    # batches of 10; failed messages come back, and go to the dead-letter queue on their third.
    queue = deque((str(n), body, 1) for n, body in enumerate(bodies))
    redriven: list[str] = []
    invocations = 0
    while queue:
        invocations += 1
        batch = [queue.popleft() for _ in range(min(10, len(queue)))]
        event = {"Records": [sqs_record(body, message_id) for message_id, body, _ in batch]}
        result = handle(
            event,
            LambdaContext(),
            sleep=sleep,
            random=rng.random,
            submit_max_attempts=submit_max_attempts,
        )
        failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        for message_id, body, receives in batch:
            if message_id in failed and receives < MAX_RECEIVE_COUNT:
                queue.append((message_id, body, receives + 1))
            elif message_id in failed:
                redriven.append(body)
    return Burst(
        jobs=Counter(
            (job["parameters"]["inputKey"], job["parameters"]["versionId"])
            for job in pipeline.jobs()
        ),
        redriven_files={
            (record["s3"]["object"]["key"].replace("+", " "), record["s3"]["object"]["versionId"])
            for body in redriven
            for record in json.loads(body)["Records"]
        },
        dead_letters=pipeline.dead_letters(),
        submit_calls=len(calls),
        sleeps=len(sleep.delays),
        invocations=invocations,
    )


def assert_nothing_lost_or_doubled(burst: Burst, *, files: int, poison: int) -> None:
    expected = {(f"burst/{n:05d} file.csv", f"v{n}") for n in range(files)}
    assert max(burst.jobs.values()) == 1, "a file got two jobs"
    assert set(burst.jobs) | burst.redriven_files == expected, "a file got lost"
    assert not set(burst.jobs) & burst.redriven_files
    dead_bodies = sorted(message["Body"] for message in burst.dead_letters)
    assert dead_bodies == sorted(f"poison {n}" for n in range(poison))
    assert {reason(message) for message in burst.dead_letters} == {"body-not-json"}
    assert burst.submit_calls > len(burst.jobs), "the burst was never throttled"
    assert burst.sleeps > 0


def test_three_thousand_files_become_three_thousand_jobs(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.configure(**{settings.FILE_RECORDS_TABLE: None})

    burst = run_burst(pipeline, files=3000, duplicates=0, poison=60, submit_max_attempts=4)

    assert_nothing_lost_or_doubled(burst, files=3000, poison=60)
    with capsys.disabled():
        print(
            f"\n  burst: {burst.invocations} invocations, {burst.submit_calls} SubmitJob calls "
            f"for {len(burst.jobs)} jobs, {len(burst.redriven_files)} files dead-lettered"
        )


def test_duplicate_deliveries_in_a_burst_start_no_second_job(pipeline: Pipeline) -> None:
    burst = run_burst(pipeline, files=400, duplicates=200, poison=10, submit_max_attempts=4)

    assert_nothing_lost_or_doubled(burst, files=400, poison=10)
