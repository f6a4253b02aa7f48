"""Arrival benchmark: the real arrival handler against moto, through real boto3 clients, on the
shared fakes of ``tests/support`` and in simulated time.

Each scenario, step by step:

1. :func:`_pipeline`: the pipeline's resources in moto and the function's settings (the shared
   ``tests.support.exactly_once_figures.moto_pipeline``); :class:`EventSourceConfig`: the event
   source the construct configures for the mode (batch size, batching window, concurrency, function timeout, the
   queue's visibility timeout and maxReceiveCount: the options' defaults, read from
   ``PerFileOptions``/``BulkOptions``/``ArrivalOptions``).
2. :func:`_install_faults`: :class:`~tests.support.AwsFaults` on the function's four clients:
   every call takes a latency drawn from a log-normal tail around :class:`Latencies`' medians,
   ``lost_rate`` of SubmitJob calls are accepted with their response lost, and ``crash_rate`` of
   invocations die right after one of their calls reached AWS.
3. :func:`_upload`: one S3 notification per file on the arrival queue, in waves of ``wave`` files
   (the next once the queue is drained: moto's SQS recounts the queue at every call).
4. :class:`~tests.support.EventSource` drains the queue into the arrival handler (one invocation at a time;
   Lambda's invoke overhead added), redelivering what failed or died after the visibility timeout;
   moto dead-letters a message after maxReceiveCount receives.
5. :func:`~tests.support.tally`: per file, the jobs Batch holds (array jobs through their
   manifest) and the dead letters: lost, processed twice, dead-lettered; SubmitJob and ListJobs
   calls per file from the recorded calls.

What is modelled and what is assumed is in ``docs/performance.md``. Run alone:
``python -m benchmarks.arrival [--files 1000] [--lost-rate 0.01] [--crash-rate 0.01]``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass, replace
from typing import Any

import boto3

from batch_pipeline_construct._stages.queues import VISIBILITY_TIMEOUT_FACTOR
from batch_pipeline_construct.options import ArrivalOptions, BulkOptions, PerFileOptions
from batch_pipeline_construct.runtime import clients, settings
from tests.support import AwsFaults, Call, EventSource, Outcome, SimulatedClock, at_random, tally
from tests.support.arrival_run import notification, simulated_handler
from tests.support.exactly_once_figures import INPUT_BUCKET, moto_pipeline

from ._util import heading, table
from .packing import SUBMIT_JOB_PER_SECOND, lognormal

PER_FILE, BULK = "per-file", "bulk"
MODES = (PER_FILE, BULK)


@dataclass(frozen=True)
class Latencies:
    """Median round trip of one call in seconds (same-region figures); tails are log-normal."""

    submit_job: float = 0.060
    batch_other: float = 0.012
    dynamodb: float = 0.008
    sqs: float = 0.012
    s3: float = 0.030
    invoke: float = 0.010
    """Lambda's own overhead per invocation (the poller's call to the function)."""
    tail_sigma: float = 0.5
    """Spread of the log-normal tail (p99 is about 3.2x the median at 0.5)."""

    def scaled(self, factor: float) -> Latencies:
        """Every median multiplied by ``factor``."""
        medians = {k: v * factor for k, v in asdict(self).items() if k != "tail_sigma"}
        return Latencies(**medians, tail_sigma=self.tail_sigma)

    def median(self, call: Call) -> float:
        """The median latency of ``call``."""
        if call.name == "batch.SubmitJob":
            return self.submit_job
        return {"batch": self.batch_other, "dynamodb": self.dynamodb, "s3": self.s3}.get(
            call.service, self.sqs
        )


@dataclass(frozen=True)
class EventSourceConfig:
    """How the construct configures the mode's event source and queue (the options' defaults)."""

    batch_size: int
    batching_window: float
    max_concurrency: int
    function_timeout: float
    visibility_timeout: float
    max_receive_count: int

    @staticmethod
    def of(mode: str) -> EventSourceConfig:
        """The defaults of ``mode`` (``per-file`` or ``bulk``)."""
        options = PerFileOptions() if mode == PER_FILE else BulkOptions()
        if isinstance(options, PerFileOptions):
            batch_size, window = options.batch_size, options.max_batching_window
        else:
            batch_size, window = options.max_files_per_job, options.batching_window
        timeout = options.function_timeout.to_seconds()
        return EventSourceConfig(
            batch_size=batch_size,
            batching_window=window.to_seconds(),
            max_concurrency=options.max_concurrency,
            function_timeout=timeout,
            visibility_timeout=timeout * VISIBILITY_TIMEOUT_FACTOR,
            max_receive_count=ArrivalOptions().max_receive_count,
        )


@dataclass(frozen=True)
class Scenario:
    """One run's knobs."""

    mode: str = PER_FILE
    files: int = 1_000
    lost_rate: float = 0.01
    """Share of SubmitJob calls AWS accepts whose response is lost."""
    crash_rate: float = 0.01
    """Share of invocations that die right after one of their calls reached AWS."""
    latency_scale: float = 1.0
    seed: int = 1
    wave: int = 250
    """Files uploaded together; the next wave once the queue is drained (bounds a bulk batch)."""


@dataclass(frozen=True)
class Result:
    """What one scenario measured."""

    scenario: Scenario
    config: EventSourceConfig
    figures: Mapping[str, float]
    """:meth:`tests.support.Tally.summary`: files, lost, twice, dead_lettered, calls per file."""
    invocations: int
    crashed: int
    handler_seconds: float
    """Simulated seconds spent in invocations (Lambda's overhead included), summed."""
    receives: int
    """ReceiveMessage calls the function made (bulk mode's top-up; the poller's are not counted)."""

    @property
    def files_per_second_per_invocation(self) -> float:
        """Files one invocation at a time gets through per simulated second."""
        return self.figures["files"] / self.handler_seconds

    @property
    def wall_files_per_second(self) -> float:
        """Files per second the 50 SubmitJob/s wall allows at the measured calls per file."""
        return SUBMIT_JOB_PER_SECOND / max(self.figures["submit_job_per_file"], 1e-9)

    @property
    def lookup_cost(self) -> float:
        """Share of the wall the ListJobs lookups would take if Batch counts them against it."""
        submit, lookups = self.figures["submit_job_per_file"], self.figures["list_jobs_per_file"]
        return lookups / (submit + lookups) if submit + lookups else 0.0

    @property
    def share_of_wall(self) -> float:
        """Files per second at the mode's concurrency, against 50 files/s (capped at the wall)."""
        offered = self.config.max_concurrency * self.files_per_second_per_invocation
        return min(offered, self.wall_files_per_second) / SUBMIT_JOB_PER_SECOND


# 1. the pipeline --------------------------------------------------------------------------------


@contextmanager
def _pipeline(mode: str) -> Iterator[tuple[str, str, str]]:
    """The pipeline in a fresh moto, its settings in the environment (the handler's log lines
    dropped): (arrival queue, dead letters, job queue)."""
    with (
        open(os.devnull, "w") as devnull,
        redirect_stdout(devnull),
        moto_pipeline(bulk=mode == BULK) as environ,
    ):
        yield (
            environ[settings.ARRIVAL_QUEUE_URL],
            environ[settings.DEAD_LETTER_QUEUE_URL],
            environ[settings.JOB_QUEUE_ARN],
        )


# 2. the faults ----------------------------------------------------------------------------------


class _Crashes:
    """Kills ``rate`` of invocations right after one of their calls reached AWS."""

    def __init__(self, rate: float, rng: random.Random) -> None:
        self.rate, self.rng = rate, rng
        self.at: int | None = None
        self.last_calls = 4

    def arm(self, calls_so_far: int) -> None:
        """An invocation starts: decide whether and at which of its calls it dies."""
        dies = self.rng.random() < self.rate
        self.at = calls_so_far + self.rng.randrange(self.last_calls) if dies else None

    def fault(self, _seen: int, call: Call) -> Outcome | None:
        """The fault rule: ``crash_after`` at the chosen call."""
        return Outcome.crash_after() if call.index == self.at else None


def _install_faults(
    scenario: Scenario, clock: SimulatedClock, crashes: _Crashes, submitted_at: list[float]
) -> AwsFaults:
    rng = random.Random(scenario.seed)
    latencies = Latencies().scaled(scenario.latency_scale)

    def latency(_seen: int, call: Call) -> Outcome:
        seconds = lognormal(rng, latencies.median(call), latencies.tail_sigma)
        if call.name == "batch.SubmitJob":
            submitted_at.append(clock.monotonic() + seconds)
        return Outcome.slow(seconds)

    faults = AwsFaults(clock).install(clients.batch(), clients.dynamodb(), clients.s3())
    faults.install(clients.sqs())
    faults.add("*", crashes.fault)
    faults.add("batch.SubmitJob", at_random(scenario.lost_rate, Outcome.lose(), rng))
    return faults.add("*", latency)  # last: a fault above decides first


# 3. the uploads ---------------------------------------------------------------------------------


def _upload(queue_url: str, numbers: range) -> list[tuple[str, str | None]]:
    """One S3 notification per file on the arrival queue; the files' (key, version)."""
    sqs = boto3.client("sqs")  # S3's delivery: no faults
    uploaded: list[tuple[str, str | None]] = [
        (f"incoming/{n % 97:02d}/sample {n:06d}.csv", f"v{n:06d}") for n in numbers
    ]
    for start in range(0, len(uploaded), 10):
        entries: list[Any] = [
            {"Id": str(i), "MessageBody": notification(key, version or "", INPUT_BUCKET)}
            for i, (key, version) in enumerate(uploaded[start : start + 10])
        ]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    return uploaded


# 4. and 5. the run and its tally ----------------------------------------------------------------


def run_scenario(scenario: Scenario) -> Result:
    """Run ``scenario`` end to end in moto and tally what became of every file."""
    config = EventSourceConfig.of(scenario.mode)
    clock = SimulatedClock()
    rng = random.Random(scenario.seed + 1)
    crashes = _Crashes(scenario.crash_rate, rng)
    handler_seconds = [0.0]
    handler = simulated_handler(clock, rng)
    with (
        _pipeline(scenario.mode) as (queue_url, dead_letter_url, job_queue),
        clock.botocore_sleeps(),
    ):
        faults = _install_faults(scenario, clock, crashes, [])

        def invoke(event: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
            started = clock.monotonic()
            calls_before = len(faults.calls)
            crashes.arm(calls_before)
            clock.advance(Latencies().scaled(scenario.latency_scale).invoke)
            try:
                return handler(event, context)
            finally:
                crashes.last_calls = max(1, len(faults.calls) - calls_before)
                handler_seconds[0] += clock.monotonic() - started

        source = EventSource(
            queue_url,
            invoke,
            clock=clock,
            faults=faults,
            batch_size=config.batch_size,
            function_timeout=config.function_timeout,
            visibility_timeout=config.visibility_timeout,
        )
        # moto's SQS recounts the whole queue at every call: files arrive in waves to stay linear
        files: list[tuple[str, str | None]] = []
        for start in range(0, scenario.files, scenario.wave):
            files += _upload(queue_url, range(start, min(start + scenario.wave, scenario.files)))
            source.run(max_invocations=10 * scenario.files)
        counted = tally(
            files, job_queue=job_queue, dead_letter_queue_url=dead_letter_url, faults=faults
        )
    return Result(
        scenario,
        config,
        counted.summary(),
        len(source.invocations),
        sum(1 for invocation in source.invocations if invocation.crashed),
        handler_seconds[0],
        sum(1 for call in faults.calls if call.name == "sqs.ReceiveMessage"),
    )


def lone_file_seconds(mode: str, latency_scale: float = 1.0) -> float:
    """Simulated seconds from a lone file's arrival on a quiet queue to its accepted SubmitJob:
    the batching window Lambda waits for a batch that does not fill, its invoke overhead, and
    the handler's calls up to SubmitJob's response."""
    scenario = Scenario(mode, files=1, lost_rate=0.0, crash_rate=0.0, latency_scale=latency_scale)
    config = EventSourceConfig.of(mode)
    clock = SimulatedClock()
    submitted_at: list[float] = []
    with _pipeline(mode) as (queue_url, _, _), clock.botocore_sleeps():
        faults = _install_faults(scenario, clock, _Crashes(0.0, random.Random()), submitted_at)
        _upload(queue_url, range(1))
        handler = simulated_handler(clock, random.Random(scenario.seed))

        def invoke(event: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
            clock.advance(config.batching_window + Latencies().scaled(latency_scale).invoke)
            return handler(event, context)

        EventSource(
            queue_url, invoke, clock=clock, faults=faults, batch_size=config.batch_size
        ).run()
    return submitted_at[0]


# the report -------------------------------------------------------------------------------------


WALL_GOAL = 0.95
"""Per-file mode's goal: this share of the SubmitJob wall at twice the assumed latencies."""


def concurrency_for_wall(result: Result, share: float = WALL_GOAL) -> int:
    """The fewest concurrent invocations at ``result``'s rate that offer ``share`` of the wall
    (invocations assumed independent; at least 2, Lambda's minimum)."""
    wanted = share * min(SUBMIT_JOB_PER_SECOND, result.wall_files_per_second)
    return max(2, math.ceil(wanted / result.files_per_second_per_invocation))


def run(scenario: Scenario) -> dict[str, Any]:
    """Both modes under ``scenario``'s faults, per-file mode again at twice and half the
    latencies, and a lone file's time to SubmitJob in each mode."""
    results = [
        run_scenario(replace(scenario, mode=PER_FILE)),
        run_scenario(replace(scenario, mode=PER_FILE, latency_scale=2 * scenario.latency_scale)),
        run_scenario(replace(scenario, mode=PER_FILE, latency_scale=scenario.latency_scale / 2)),
        run_scenario(replace(scenario, mode=BULK)),
    ]
    return {
        "results": results,
        "lone_file_seconds": {mode: lone_file_seconds(mode) for mode in MODES},
    }


def report(outcome: Mapping[str, Any]) -> str:
    """The modes side by side, then a lone file's time to SubmitJob."""
    results: Sequence[Result] = outcome["results"]
    first = results[0].scenario
    lines = [
        heading(
            f"Arrival path: {first.files:,} files through the real handler in moto, "
            f"{first.lost_rate:.0%} SubmitJob responses lost, {first.crash_rate:.0%} invocations "
            "crashed (simulated time)"
        )
    ]
    rows = [
        [
            r.scenario.mode,
            f"{r.scenario.latency_scale:g}x",
            int(r.figures["lost"]),
            int(r.figures["twice"]),
            int(r.figures["dead_lettered"]),
            f"{r.figures['submit_job_per_file']:.4f}",
            f"{r.figures['list_jobs_per_file']:.4f}",
            f"{r.invocations:,} ({r.crashed} crashed)",
            f"{r.receives / r.invocations:.1f}",
            f"{r.files_per_second_per_invocation:.1f}",
            r.config.max_concurrency,
            f"{r.lookup_cost:.1%}",
            f"{r.share_of_wall:.0%}" if r.scenario.mode == PER_FILE else "(not bound by it)",
        ]
        for r in results
    ]
    lines.append(
        table(
            [
                "mode",
                "latency",
                "lost",
                "twice",
                "dead-lettered",
                "SubmitJob/file",
                "ListJobs/file",
                "invocations",
                "ReceiveMessage / invocation",
                "files/s, one invocation",
                "concurrency",
                "lookups' share of the wall",
                f"of the {SUBMIT_JOB_PER_SECOND:g}/s wall",
            ],
            rows,
        )
    )
    slow = next(r for r in results if r.scenario.latency_scale == 2 * first.latency_scale)
    fast = next(r for r in results if r.scenario.latency_scale == first.latency_scale / 2)
    needed = concurrency_for_wall(slow)
    fast_offer = needed * fast.files_per_second_per_invocation
    lines.append(
        f"Per-file concurrency: {needed} invocations reach {WALL_GOAL:.0%} of the wall at "
        f"{slow.scenario.latency_scale:g}x latencies ({slow.files_per_second_per_invocation:.1f} "
        f"files/s each; the default is {slow.config.max_concurrency}); at "
        f"{fast.scenario.latency_scale:g}x they would offer {fast_offer:.0f} files/s, "
        f"{fast_offer / SUBMIT_JOB_PER_SECOND:.1f}x the wall (SubmitJob throttles the excess; "
        "the submitter backs off)."
    )
    lone = outcome["lone_file_seconds"]
    lines.append(
        "A lone file in a quiet pipeline, arrival on the queue to SubmitJob accepted: "
        + ", ".join(f"{mode} {seconds:.2f} s" for mode, seconds in lone.items())
    )
    return "\n".join(lines)


def as_json(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """``outcome`` as JSON-able figures."""
    return {
        "results": [
            {**asdict(r), "share_of_wall": r.share_of_wall, "lookup_cost": r.lookup_cost}
            for r in outcome["results"]
        ],
        "lone_file_seconds": dict(outcome["lone_file_seconds"]),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's command-line options."""
    defaults = Scenario()
    parser.add_argument("--files", type=int, default=defaults.files, help="files per mode")
    parser.add_argument(
        "--lost-rate",
        type=float,
        default=defaults.lost_rate,
        help="share of SubmitJob calls accepted with their response lost",
    )
    parser.add_argument(
        "--crash-rate",
        type=float,
        default=defaults.crash_rate,
        help="share of invocations that die after one of their calls reached AWS",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)


def from_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """Run with parsed options."""
    return run(
        Scenario(
            files=args.files, lost_rate=args.lost_rate, crash_rate=args.crash_rate, seed=args.seed
        )
    )


def main(argv: Sequence[str]) -> None:
    """``python -m benchmarks.arrival``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    print(report(from_arguments(parser.parse_args(argv))))


if __name__ == "__main__":
    main(sys.argv[1:])
