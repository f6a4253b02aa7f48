"""Files lost, processed twice and dead-lettered, and SubmitJob and ListJobs calls per file,
under 1% lost responses and 1% crashes at any AWS call, in per-file and bulk mode.

Run: ``python -m tests.support.exactly_once_figures [--files 200] [--seed 1]``. Each scenario
runs the real arrival handler against a fresh moto pipeline in simulated time
(:func:`.run_arrival`), with faults injected where botocore sends requests (:mod:`.faults`).
The benchmarks report the same figures for their own runs through :func:`.tally`.
"""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from moto import mock_aws

from batch_pipeline_construct.runtime import clients, settings

from .arrival_run import run_arrival
from .faults import AwsFaults, Outcome, at_random
from .moto_pipeline import create_moto_pipeline

INPUT_BUCKET = "figures-input"
OUTPUT_BUCKET = "figures-output"


@contextmanager
def moto_pipeline(*, bulk: bool) -> Iterator[dict[str, str]]:
    """A pipeline's resources in a fresh moto, its settings in ``os.environ``; yields them."""
    names = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = dict(os.environ)
    os.environ.update(names)
    clients.reset()
    try:
        with mock_aws(config={"batch": {"use_docker": False}}):
            environ = _create(bulk=bulk)
            os.environ.update(environ)
            yield environ
    finally:
        os.environ.clear()
        os.environ.update(saved)
        clients.reset()


def _create(*, bulk: bool) -> dict[str, str]:
    environ = create_moto_pipeline(
        "figures",
        input_bucket=INPUT_BUCKET,
        output_bucket=OUTPUT_BUCKET,
        table="records",
        job_definition="figures-job",
        max_receive_count=5,
    ).environ
    if bulk:
        environ |= {settings.BULK_MODE: "true", settings.BULK_MAX_FILES: "1000"}
    return environ


SCENARIOS: dict[str, Callable[[random.Random], Callable[[AwsFaults], object]]] = {
    "no faults": lambda rng: lambda faults: None,
    "1% of answers lost": lambda rng: (
        lambda faults: faults.add("*", at_random(0.01, Outcome.lose(), rng))
    ),
    "1% crashes (after AWS acted)": lambda rng: (
        lambda faults: faults.add("*", at_random(0.01, Outcome.crash_after(), rng))
    ),
    "1% crashes (before the call)": lambda rng: (
        lambda faults: faults.add("*", at_random(0.01, Outcome.crash_before(), rng))
    ),
}


def figures(files: int, seed: int) -> list[dict[str, object]]:
    """One row per mode and scenario."""
    rows: list[dict[str, object]] = []
    for mode in ("per-file", "bulk"):
        for name, scenario in SCENARIOS.items():
            with moto_pipeline(bulk=mode == "bulk") as environ:
                result = run_arrival(
                    [f"in/{n}.csv" for n in range(files)],
                    input_bucket=INPUT_BUCKET,
                    queue_url=environ[settings.ARRIVAL_QUEUE_URL],
                    dead_letter_queue_url=environ[settings.DEAD_LETTER_QUEUE_URL],
                    job_queue=environ[settings.JOB_QUEUE_ARN],
                    faults=scenario(random.Random(seed)),
                    batch_size=10,
                    function_timeout=60.0 if mode == "per-file" else 300.0,
                    visibility_timeout=360.0 if mode == "per-file" else 1800.0,
                    seed=seed,
                    max_invocations=10 * files,
                )
            rows.append(
                {
                    "mode": mode,
                    "faults": name,
                    **result.tally.summary(),
                    "crashes": sum(invoke.crashed for invoke in result.invocations),
                    "overran": result.overran,
                }
            )
    return rows


def main() -> None:
    """Print the figures as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = figures(args.files, args.seed)
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[column]) for column in columns) + " |")


if __name__ == "__main__":
    main()
