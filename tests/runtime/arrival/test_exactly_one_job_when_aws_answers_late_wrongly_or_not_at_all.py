"""Every fault of issue 9's table, injected at the HTTP layer (botocore's retries run), ends with
0 files lost, 0 processed twice and 0 dead-lettered, in per-file and in bulk mode; and the
handler, not Lambda's timeout, ends every invocation."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from batch_pipeline_construct.runtime import clients
from tests.runtime.runtime_pipeline import INPUT_BUCKET, Pipeline, inject
from tests.support import AwsFaults, Outcome, at_random, first_calls, run_arrival
from tests.support.arrival_run import ArrivalRun


@pytest.fixture(autouse=True)
def quiet(capsys: pytest.CaptureFixture[str]) -> None:
    """The handler logs a line per file; the assertions say what matters."""


def run(
    pipeline: Pipeline,
    files: int,
    faults: Callable[[AwsFaults], object],
    **options: Any,
) -> ArrivalRun:
    result = run_arrival(
        [f"f/{n}.csv" for n in range(files)],
        input_bucket=INPUT_BUCKET,
        queue_url=pipeline.arrival_queue_url,
        dead_letter_queue_url=pipeline.dead_letter_queue_url,
        job_queue=pipeline.job_queue_arn,
        faults=faults,
        **options,
    )
    summary = result.tally.summary()
    assert (summary["lost"], summary["twice"], summary["dead_lettered"]) == (0, 0, 0), summary
    assert result.overran == 0
    return result


MODES = ["pipeline", "bulk"]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Pipeline:
    pipeline: Pipeline = request.getfixturevalue(request.param)
    return pipeline


def test_submit_job_answers_lost_after_batch_created_the_job(mode: Pipeline) -> None:
    rng = random.Random(9)
    result = run(mode, 20, lambda f: f.add("batch.SubmitJob", at_random(0.3, Outcome.lose(), rng)))
    lost_answers = result.faults.count("batch.SubmitJob") - result.tally.summary()["files"]
    assert result.faults.count("batch.ListJobs") >= 1 or lost_answers <= 0


def test_a_5xx_after_batch_created_the_job(mode: Pipeline) -> None:
    result = run(mode, 20, lambda f: f.add("batch.SubmitJob", first_calls(2, Outcome.fail_after())))
    assert result.faults.count("batch.ListJobs") >= 1


def test_submit_job_refused_is_retried_without_a_lookup(mode: Pipeline) -> None:
    result = run(mode, 10, lambda f: f.add("batch.SubmitJob", first_calls(3, Outcome.throttle())))
    assert result.faults.count("batch.ListJobs") == 0


def test_the_invocation_dies_between_submit_job_and_the_marks(mode: Pipeline) -> None:
    result = run(
        mode, 20, lambda f: f.add("batch.SubmitJob", first_calls(1, Outcome.crash_after()))
    )
    assert result.invocations[0].crashed
    assert result.faults.count("batch.ListJobs") == 1  # one lookup, even for a whole array job


def test_one_mark_raising_a_stranger_error_fails_no_other(bulk: Pipeline) -> None:
    def fault(params: dict[str, Any]) -> BaseException | None:
        marking = ":submitted" in params["ExpressionAttributeValues"]
        return RuntimeError("boom") if marking and "/3.csv#" in params["Key"]["pk"]["S"] else None

    inject(clients.dynamodb(), "dynamodb.UpdateItem", fault)
    result = run(bulk, 20, lambda _: None)
    assert result.invocations[0].failed == 0
    assert result.faults.count("batch.SubmitJob") == 1


def test_a_slow_table_with_little_time_left(bulk: Pipeline) -> None:
    result = run(
        bulk,
        60,
        lambda f: f.add("dynamodb.*", lambda _seen, _call: Outcome.slow(0.2)),
        function_timeout=300.0,
        first_time_left=20.0,
    )
    assert len(result.invocations) > 1  # the first could not do everything in 20 s


def test_submit_job_slower_than_the_read_timeout(pipeline: Pipeline) -> None:
    result = run(pipeline, 5, lambda f: f.add("batch.SubmitJob", first_calls(5, Outcome.slow(12))))
    assert result.faults.count("batch.ListJobs") == 5  # each timed-out submission looked up once


def test_a_failing_top_up_dead_letters_nothing_twice_and_delays_no_file(bulk: Pipeline) -> None:
    poison = "not json"

    def faults(f: AwsFaults) -> None:
        failing = Outcome.reject("InternalError", 500)
        f.add("sqs.ReceiveMessage", lambda seen, _: failing if seen >= 2 else None)

    result = run(bulk, 25, faults, extra_bodies=[poison], visibility_timeout=1800.0)
    assert result.tally.dead_letter_bodies == (poison,)
    assert result.clock.monotonic() < 1800  # no file waited out a visibility timeout


def test_over_limit_ends_the_top_up_not_the_invocation(bulk: Pipeline) -> None:
    over_limit = Outcome.reject("OverLimit", 403)
    result = run(bulk, 30, lambda f: f.add("sqs.ReceiveMessage", lambda _s, _c: over_limit))
    assert all(invoke.failed == 0 for invoke in result.invocations)


def test_a_throttled_table_loses_and_doubles_nothing(mode: Pipeline) -> None:
    rng = random.Random(10)
    throttled = Outcome.reject("ProvisionedThroughputExceededException", 400)
    run(mode, 30, lambda f: f.add("dynamodb.UpdateItem", at_random(0.3, throttled, rng)))


TIMEOUTS = {
    "batch": "batch.*",
    "dynamodb": "dynamodb.*",
    "sqs": "sqs.*",
    "s3": "s3.*",
}


@pytest.mark.parametrize("offset", [-0.01, 0.0, 1.0], ids=["just-in-time", "at", "past"])
@pytest.mark.parametrize("service", TIMEOUTS)
def test_slow_answers_around_every_client_timeout(
    bulk: Pipeline, service: str, offset: float
) -> None:
    timeout = getattr(clients, service)().meta.config.read_timeout
    slow = Outcome.slow(timeout + offset)
    run(bulk, 12, lambda f: f.add(TIMEOUTS[service], first_calls(4, slow)))


@pytest.mark.parametrize("offset", [-0.01, 1.0], ids=["just-in-time", "past"])
@pytest.mark.parametrize("service", ["batch", "dynamodb"])
def test_slow_answers_around_the_per_file_timeouts(
    pipeline: Pipeline, service: str, offset: float
) -> None:
    timeout = getattr(clients, service)().meta.config.read_timeout
    slow = Outcome.slow(timeout + offset)
    run(pipeline, 8, lambda f: f.add(TIMEOUTS[service], first_calls(4, slow)))


def test_a_duplicate_delivery_during_and_after_a_lease(pipeline: Pipeline) -> None:
    from tests.support.arrival_run import notification

    duplicates = [notification(f"f/{n}.csv", "v1", INPUT_BUCKET) for n in range(10)]
    result = run(
        pipeline,
        10,
        lambda f: f.add("batch.SubmitJob", first_calls(1, Outcome.crash_after())),
        extra_bodies=duplicates,
    )
    assert result.faults.count("batch.SubmitJob") == 10 + 1 - 1  # the crashed one's job is found
