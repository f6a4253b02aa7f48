"""Whichever AWS call an invocation dies at, or loses the answer of, every file gets exactly one
job: the harness first counts an invocation's calls, then kills (or loses the response of) each
call in turn, before and after AWS acted on it, in per-file and in bulk mode."""

from __future__ import annotations

import pytest

from batch_pipeline_construct.runtime import settings
from tests.runtime.runtime_pipeline import INPUT_BUCKET, Pipeline
from tests.support import AwsFaults, Outcome, at_call, run_arrival
from tests.support.arrival_run import ArrivalRun

FILES = 3

FAULTS = {
    "dies before the call": Outcome.crash_before(),
    "dies after AWS acted": Outcome.crash_after(),
    "answer lost": Outcome.lose(),
    "5xx after AWS acted": Outcome.fail_after("InternalFailure", 500),
}


def run(pipeline: Pipeline, label: str, fault: Outcome | None, position: int) -> ArrivalRun:
    def inject(faults: AwsFaults) -> None:
        if fault is not None:
            faults.add("*", at_call(position, fault))

    return run_arrival(
        [f"{label}/{position}/{n}.csv" for n in range(FILES)],
        input_bucket=INPUT_BUCKET,
        queue_url=pipeline.arrival_queue_url,
        dead_letter_queue_url=pipeline.dead_letter_queue_url,
        job_queue=pipeline.job_queue_arn,
        faults=inject,
    )


def calls_of_a_clean_run(pipeline: Pipeline) -> int:
    clean = run(pipeline, "clean", None, 0)
    assert clean.tally.summary()["twice"] == 0 and clean.tally.lost == 0
    return len(clean.faults.calls)


def assert_exactly_once_at_every_call(pipeline: Pipeline) -> None:
    calls = calls_of_a_clean_run(pipeline)
    assert calls >= 3 * FILES - 2  # claims, SubmitJob, marks at least
    for name, fault in FAULTS.items():
        for position in range(calls):
            result = run(pipeline, name.replace(" ", "-"), fault, position)
            where = f"{name} at call {position}: {result.faults.calls[position].name}"
            assert result.tally.lost == 0, where
            assert result.tally.twice == 0, where
            assert result.tally.dead == 0, where
            assert result.overran == 0, where


def test_per_file_mode(pipeline: Pipeline) -> None:
    assert_exactly_once_at_every_call(pipeline)


def test_bulk_mode(bulk: Pipeline) -> None:
    bulk.configure(**{settings.BULK_MAX_FILES: str(FILES + 1)})  # one top-up receive a round
    assert_exactly_once_at_every_call(bulk)


@pytest.fixture(autouse=True)
def quiet(capsys: pytest.CaptureFixture[str]) -> None:
    """The handler logs a line per file; hundreds of runs need not fill the report."""
