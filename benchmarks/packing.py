"""Packing benchmark: from a burst of uploads to the last file *processed*, in simulated time.

For N files of a given processing time, three ways to run them on Fargate:

* ``per-file``: one job, one container per file (SubmitJob per file);
* ``bulk-1``: bulk mode as before packing, one array child (one container) per file;
* ``packed``: bulk mode with the construct's own packing (``PackingOptions`` defaults, with
  ``expected_time_per_file`` set to the files' mean time).

What is real: the children and their shares come from the runtime's own planner
(``runtime.job.manifest.plan_manifest``) fed with ``PackingOptions.settings_for``, exactly as the
construct configures the arrival function. What is modelled, each step a function below:

1. ``_submissions``: when each job is submitted. Per-file mode is held to AWS Batch's 50
   SubmitJob/s (shared with DescribeJobs/ListJobs: ``--lookups-per-file`` of them). Bulk mode
   submits one array job per ``bulk.max_files_per_job`` files (10,000), as fast as the arrival
   side can claim them: a fresh on-demand DynamoDB table's ~4,000 writes/s at 2 writes per file,
   the handler's CPU (12.6 s per 10,000 files at 1,024 MB) across the invocations SQS's 120,000
   in-flight messages allow. S3 notification latency is a distribution (median 1 s, long tail).
   With each batch goes the count the function reads from the arrival queue when it cuts it
   (``ApproximateNumberOfMessages`` plus ``...NotVisible``, less its own batch): the messages
   notified and not yet in a submitted batch, as they were a uniform 0 to 60 s earlier (SQS's
   counts may lag a minute).
2. ``_containers``: every container Batch starts, with its files, sized by the runtime's planner
   from that count.
3. ``_run``: Batch places each RUNNABLE container in submission order when the compute
   environment has vCPUs free (``--max-vcpus``) and Fargate grants a launch (token bucket: 100
   burst, 20/s sustained); scheduling delay (median 7 s) and image pull + start (median 35 s,
   tail to ~90 s) are lognormal; each file's time is lognormal around its mean; the resolver runs
   ``parallelism`` files side by side and adds ``Scenario.overhead_per_file`` (0.05 s) for starting
   the command.
4. ``_cost``: Fargate list price per vCPU-hour and GB-hour, per second with a one-minute minimum
   counted from the start of the image pull; the outcome objects' S3 PUTs (one per file, at
   most) priced separately.

With ``--compute ec2`` step 3 runs on EC2 instead (``_run_on_ec2``): Batch launches a
16-vCPU instance when a RUNNABLE container finds no free vCPU, up to ``--max-vcpus``; it joins
the cluster a few minutes later (lognormal, median 2.5 min); its first container pulls the image,
later ones start from the host's cache (median 2 s); no Fargate launch rate; cost is the
instances' on-demand vCPU-hours from launch to their last container's end.

Not modelled: failures and retries, Spot reclaims, the idle minutes before Batch scales EC2
instances in, lost or doubled files (the arrival benchmark and ``tests.support.tally`` count
those).

Run alone: ``python -m benchmarks.packing [--files 1000,100000,1000000] [--seconds 1,60]
[--max-vcpus 1024] [--compute fargate|ec2]``.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import json
import math
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import Duration

from batch_pipeline_construct import BulkOptions, ComputeOptions, JobOptions, PackingOptions
from batch_pipeline_construct.runtime.job.contract import JobContract
from batch_pipeline_construct.runtime.job.manifest import (
    MAX_ARRAY_SIZE,
    PackingSettings,
    plan_manifest,
)

from ._util import heading, table

PRICES = Path(__file__).resolve().parent / "prices.json"
MODES = ("per-file", "bulk-1", "packed")

SUBMIT_JOB_PER_SECOND = 50.0
"""AWS Batch's SubmitJob quota per account and Region, shared with the other Batch APIs."""
FARGATE_BURST, FARGATE_PER_SECOND = 100, 20.0
"""Fargate task launches: 100 at once, then 20 a second (On-Demand)."""
TABLE_WRITES_PER_SECOND = 4_000.0
"""What a fresh on-demand DynamoDB table takes before it adapts."""
WRITES_PER_FILE = 2
"""Claim and mark, per file, in the per-file record table."""
SQS_IN_FLIGHT = 120_000
"""Messages a standard queue lets be received and not yet deleted."""
HANDLER_CPU_SECONDS_PER_FILE = 12.6 / 10_000
"""Bulk handler CPU per file at the function's 1,024 MB (7.3 s per 10,000 files measured on this
machine's faster core, scaled to Lambda's share of a vCPU at 1,024 MB)."""
BULK_CONCURRENCY = BulkOptions().max_concurrency
"""BulkOptions.max_concurrency's default."""
BULK_MAX_FILES = BulkOptions().max_files_per_job
"""BulkOptions.max_files_per_job's default."""
IMAGE_PULL_MEDIAN, IMAGE_PULL_SIGMA = 35.0, 0.35
"""Image pull and container start where the image is not cached (every Fargate task; an EC2
instance's first container): lognormal, median 35 s (about 80 s at the 99th percentile)."""
CACHED_START_MEDIAN = 2.0
"""Container start on an EC2 instance that already pulled the image (ECS caches it per host)."""
INSTANCE_START_MEDIAN, INSTANCE_START_SIGMA = 150.0, 0.3
"""A new EC2 instance: launch, boot and ECS agent registration before Batch can place a job on
it; lognormal, median 2.5 min (AWS Batch's guide says "a few minutes" against Fargate's 30 s;
field reports run to 5-15 min)."""
COUNT_LAG_SECONDS = 60.0
"""How stale the queue's ``ApproximateNumberOfMessages`` may be: SQS says its counts "may not
achieve consistency until at least 1 minute after the producers stop sending messages"; the
function reads the queue as it was up to this long before (uniform)."""
EC2_INSTANCE_VCPUS = 16
"""vCPUs of each instance the compute environment launches (an m5.4xlarge, say)."""


@dataclass(frozen=True)
class Scenario:
    """One row: how many files, how long each takes, which mode, on how many vCPUs."""

    files: int
    seconds_per_file: float
    mode: str
    max_vcpus: int
    compute: str = "fargate"
    """``fargate`` or ``ec2``."""
    vcpus: float = 1.0
    memory_gib: float = 2.0
    lookups_per_file: float = 0.0
    writes_per_file: int = WRITES_PER_FILE
    """Table writes the arrival side makes per file in bulk mode."""
    overhead_per_file: float = 0.05
    count_lag: float = COUNT_LAG_SECONDS
    """How stale the queue's count may be (uniform from 0 to this many seconds)."""
    image_pull_median: float = IMAGE_PULL_MEDIAN
    """Median seconds to pull the image and start a container where it is not cached."""
    files_per_child: int | None = None
    """``PackingOptions.files_per_child``; ``None``: the construct's default."""
    seed: int = 7


@dataclass(frozen=True)
class Result:
    """What a scenario printed."""

    scenario: Scenario
    submit_jobs: int
    containers: int
    files_per_container: float
    last_processed_minutes: float
    vcpu_bound_minutes: float
    compute_cost: float
    outcome_puts: int
    outcome_put_cost: float
    minutes_per_slot: dict[str, float] = field(default_factory=dict)
    """Where the time went, in minutes per slot (see :class:`TimeSplit`): they add up to
    ``last_processed_minutes``."""

    @property
    def versus_bound(self) -> float:
        """Time to the last file processed over the vCPU bound."""
        return self.last_processed_minutes / self.vcpu_bound_minutes


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A log-normal draw around ``median`` with spread ``sigma`` (the latency and duration model)."""
    return median * math.exp(rng.gauss(0.0, sigma))


def _with_mean(rng: random.Random, mean: float, sigma: float = 0.5) -> float:
    return lognormal(rng, mean * math.exp(-sigma * sigma / 2), sigma)


# 1. submissions ---------------------------------------------------------------------------------


def _packing(scenario: Scenario) -> PackingSettings:
    if scenario.mode == "bulk-1":
        return PackingSettings(files_per_child=1, capacity=MAX_ARRAY_SIZE)
    job = JobOptions(vcpus=scenario.vcpus)
    options = PackingOptions(
        files_per_child=scenario.files_per_child,
        expected_time_per_file=Duration.millis(round(scenario.seconds_per_file * 1000)),
    )
    return options.settings_for(job, ComputeOptions(max_vcpus=scenario.max_vcpus))


def _submissions(scenario: Scenario, rng: random.Random) -> Iterator[tuple[float, int, int]]:
    """``(time, files, waiting)`` of each SubmitJob call, every file uploaded at time 0;
    ``waiting`` is the queue's count the function reads for that batch (see ``_queue_count``)."""
    if scenario.mode == "per-file":
        rate = SUBMIT_JOB_PER_SECOND / (1.0 + scenario.lookups_per_file)
        notified = sorted(lognormal(rng, 1.0, 0.8) for _ in range(scenario.files))
        next_free = 0.0
        for arrival in notified:
            next_free = max(next_free, arrival) + 1.0 / rate
            yield next_free, 1, 0
        return
    invocations = min(BULK_CONCURRENCY, SQS_IN_FLIGHT // BULK_MAX_FILES)
    files_per_second = min(
        TABLE_WRITES_PER_SECOND / scenario.writes_per_file,
        invocations / HANDLER_CPU_SECONDS_PER_FILE,
    )
    done, start = 0, lognormal(rng, 1.0, 0.8)
    # The count's own draws, so that the containers draw what they drew before it was modelled.
    counts = random.Random(scenario.seed + 1)
    notified = sorted(lognormal(counts, 1.0, 0.8) for _ in range(scenario.files))
    while done < scenario.files:
        batch = min(BULK_MAX_FILES, scenario.files - done)
        done += batch
        cut = start + done / files_per_second
        read_at = max(0.0, cut - counts.uniform(0.0, scenario.count_lag))
        claimed = min(done - batch, math.floor((read_at - start) * files_per_second))
        yield cut, batch, _queue_count(notified, read_at, max(0, claimed), batch)


def _queue_count(notified: Sequence[float], at: float, claimed: int, own: int) -> int:
    """What GetQueueAttributes says at ``at``: messages notified by then (visible, or received by
    an invocation and not yet deleted) less those already in a submitted batch and the reader's
    own batch."""
    return max(0, bisect.bisect_right(notified, at) - claimed - own)


# 2. containers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    """One container Batch runs: when it became runnable and how many files it processes."""

    runnable_at: float
    files: int
    parallelism: int


def _containers(scenario: Scenario, rng: random.Random) -> tuple[int, list[Container]]:
    """SubmitJob calls and the containers they start, in the order they become runnable."""
    packing = _packing(scenario)
    calls, containers = 0, []
    for submitted_at, batch, waiting in _submissions(scenario, rng):
        calls += 1
        shares = _shares(batch, packing, waiting) if batch > 1 else [1]
        for files in shares:
            runnable = submitted_at + lognormal(rng, 7.0, 0.4)
            containers.append(Container(runnable, files, packing.parallelism))
    containers.sort(key=lambda c: c.runnable_at)
    return calls, containers


def _shares(batch: int, packing: PackingSettings, waiting: int) -> list[int]:
    """Files per child of one array job, from the runtime's own planner."""
    contracts = [JobContract("in", "k", "out", "k/")] * batch
    plan = plan_manifest(contracts, "out", packing, waiting=waiting)
    counts = [0] * plan.array_size
    for index in range(batch):
        counts[plan.child_of(index)] += 1
    return counts


# 3. running them --------------------------------------------------------------------------------


class _LaunchBucket:
    """Fargate's launch rate: a token bucket of ``burst`` refilled at ``rate`` a second."""

    def __init__(self, burst: int, rate: float) -> None:
        self._burst, self._rate = burst, rate
        self._tokens, self._at = float(burst), 0.0

    def take(self, at: float) -> float:
        """The time a launch asked for at ``at`` can go."""
        at = max(at, self._at)
        self._tokens = min(self._burst, self._tokens + (at - self._at) * self._rate)
        self._at = at
        if self._tokens < 1.0:
            wait = (1.0 - self._tokens) / self._rate
            self._at, self._tokens = at + wait, 1.0
        self._tokens -= 1.0
        return self._at


def _work(scenario: Scenario, container: Container, ready: float, rng: random.Random) -> float:
    """When a container that can start its first file at ``ready`` is done with its files."""
    lanes = [ready] * min(container.parallelism, container.files)
    for _ in range(container.files):
        lane = heapq.heappop(lanes)
        work = _with_mean(rng, scenario.seconds_per_file) + scenario.overhead_per_file
        heapq.heappush(lanes, lane + work)
    return max(lanes)


@dataclass
class TimeSplit:
    """Where the compute environment's slots spent the run, in slot-seconds (a slot: one
    container's vCPUs); summed over the slots they make ``slots`` x the last file's time."""

    slots: int
    working: float = 0.0
    """Running files (the command included)."""
    starting: float = 0.0
    """Pulling the image and starting the container (or starting it from an EC2 host's cache)."""
    filling: float = 0.0
    """Before the slot's first container: the arrival side's supply, Fargate's launch rate, an
    instance's start."""
    tail: float = 0.0
    """After the slot's last container, until the last file is processed."""
    waiting: float = 0.0
    """Between containers: no RUNNABLE child when the slot came free, or (Fargate) no launch
    allowed yet by its 20 a second."""

    def per_slot_minutes(self) -> dict[str, float]:
        """Each share in minutes per slot."""
        names = ("working", "starting", "filling", "waiting", "tail")
        return {name: getattr(self, name) / self.slots / 60 for name in names}


class _Slots:
    """The compute environment's slots, taken in order of when they come free."""

    def __init__(self, free_at: Sequence[tuple[float, int]], split: TimeSplit) -> None:
        self._heap = list(free_at)
        heapq.heapify(self._heap)
        self._used: dict[int, float] = {}
        self.split = split

    def next_free(self) -> float | None:
        """When the first slot comes free (None: no slot yet)."""
        return self._heap[0][0] if self._heap else None

    def take(self) -> tuple[float, int]:
        """The slot that comes free first: ``(when, which)``."""
        return heapq.heappop(self._heap)

    def add(self, free_at: float, slot: int) -> None:
        """A slot that comes free at ``free_at`` (a new EC2 instance's, say)."""
        heapq.heappush(self._heap, (free_at, slot))

    def run(self, slot: int, free: float, starts: float, ready: float, ends: float) -> None:
        """``slot``, free at ``free``, ran a container that started at ``starts``, had its first
        file ready at ``ready`` and ended at ``ends``."""
        idle = starts - free if slot in self._used else starts
        if slot in self._used:
            self.split.waiting += idle
        else:
            self.split.filling += idle
        self.split.starting += ready - starts
        self.split.working += ends - ready
        self._used[slot] = ends
        heapq.heappush(self._heap, (ends, slot))

    def finish(self, last: float) -> None:
        """Count the idle end of every slot (an unused one idles the whole run)."""
        self.split.tail += sum(last - end for end in self._used.values())
        self.split.filling += (self.split.slots - len(self._used)) * last


def _run(
    scenario: Scenario, containers: Sequence[Container], rng: random.Random
) -> tuple[float, float, TimeSplit]:
    """The time the last file is processed, the billed vCPU-seconds and where the time went."""
    if scenario.compute == "ec2":
        return _run_on_ec2(scenario, containers, rng)
    count = max(1, int(scenario.max_vcpus // scenario.vcpus))
    slots = _Slots([(0.0, slot) for slot in range(count)], TimeSplit(count))
    launches = _LaunchBucket(FARGATE_BURST, FARGATE_PER_SECOND)
    last, billed = 0.0, 0.0
    for container in containers:
        slot_free, slot = slots.take()
        pull_starts = launches.take(max(container.runnable_at, slot_free))
        ready = pull_starts + lognormal(rng, scenario.image_pull_median, IMAGE_PULL_SIGMA)
        ends = _work(scenario, container, ready, rng)
        slots.run(slot, slot_free, pull_starts, ready, ends)
        billed += max(60.0, ends - pull_starts) * scenario.vcpus
        last = max(last, ends)
    slots.finish(last)
    return last, billed, slots.split


def _run_on_ec2(
    scenario: Scenario, containers: Sequence[Container], rng: random.Random
) -> tuple[float, float, TimeSplit]:
    """EC2: Batch launches an instance when a RUNNABLE container finds no free vCPU (up to
    ``max_vcpus``); it takes a few minutes to join; its first container pulls the image, the
    others start from the host's cache. Instances bill from launch to their last container's
    end (the idle minutes before Batch scales them in are not counted)."""
    per_instance = max(1, int(EC2_INSTANCE_VCPUS // scenario.vcpus))
    most_instances = max(1, scenario.max_vcpus // EC2_INSTANCE_VCPUS)
    slots = _Slots([], TimeSplit(per_instance * most_instances))
    launched: list[float] = []
    busy_until: list[float] = []
    pulled: dict[int, float] = {}
    for container in containers:
        free = slots.next_free()
        if (free is None or free > container.runnable_at) and len(launched) < most_instances:
            joins = container.runnable_at + lognormal(
                rng, INSTANCE_START_MEDIAN, INSTANCE_START_SIGMA
            )
            instance = len(launched)
            launched.append(container.runnable_at)
            busy_until.append(joins)
            for lane in range(per_instance):
                slots.add(joins, instance * per_instance + lane)
        slot_free, slot = slots.take()
        instance = slot // per_instance
        starts = max(container.runnable_at, slot_free)
        if instance not in pulled:
            pulled[instance] = starts + lognormal(rng, scenario.image_pull_median, IMAGE_PULL_SIGMA)
        ready = max(starts + lognormal(rng, CACHED_START_MEDIAN, 0.3), pulled[instance])
        ends = _work(scenario, container, ready, rng)
        slots.run(slot, slot_free, starts, ready, ends)
        busy_until[instance] = max(busy_until[instance], ends)
    billed = sum(
        max(60.0, end - start) * EC2_INSTANCE_VCPUS
        for start, end in zip(launched, busy_until, strict=True)
    )
    last = max(busy_until)
    slots.finish(last)
    return last, billed, slots.split


# 4. cost ----------------------------------------------------------------------------------------


def _prices() -> dict[str, float]:
    items = json.loads(PRICES.read_text())["items"]
    return {name: item["price"] for name, item in items.items()}


def run_scenario(scenario: Scenario) -> Result:
    """Simulate one scenario."""
    rng = random.Random(scenario.seed)
    calls, containers = _containers(scenario, rng)
    last, billed, split = _run(scenario, containers, rng)
    prices = _prices()
    if scenario.compute == "ec2":
        per_second = prices["ec2_vcpu_hour"] / 3600
    else:
        per_second = (
            prices["fargate_vcpu_hour"]
            + scenario.memory_gib / scenario.vcpus * prices["fargate_gb_hour"]
        ) / 3600
    puts = 0 if scenario.mode == "per-file" else scenario.files
    return Result(
        scenario=scenario,
        submit_jobs=calls,
        containers=len(containers),
        files_per_container=scenario.files / len(containers),
        last_processed_minutes=last / 60,
        vcpu_bound_minutes=scenario.files * scenario.seconds_per_file / scenario.max_vcpus / 60,
        compute_cost=billed * per_second,
        outcome_puts=puts,
        outcome_put_cost=puts / 1000 * prices["s3_put_thousand"],
        minutes_per_slot=split.per_slot_minutes(),
    )


def report(results: Sequence[Result]) -> str:
    """The results as a table."""
    rows = [
        [
            f"{r.scenario.files:,}",
            f"{r.scenario.seconds_per_file:g} s",
            r.scenario.mode,
            f"{r.submit_jobs:,}",
            f"{r.containers:,}",
            f"{r.files_per_container:,.0f}",
            f"{r.last_processed_minutes:,.1f}",
            f"{r.vcpu_bound_minutes:,.1f}",
            f"{r.versus_bound:,.2f}x",
            f"${r.compute_cost:,.2f}",
            f"${r.outcome_put_cost:,.2f}",
        ]
        for r in results
    ]
    splits = [
        [
            f"{r.scenario.files:,}",
            f"{r.scenario.seconds_per_file:g} s",
            r.scenario.mode,
            *(f"{minutes:,.1f}" for minutes in r.minutes_per_slot.values()),
            f"{r.last_processed_minutes:,.1f}",
        ]
        for r in results
    ]
    vcpus = {r.scenario.max_vcpus for r in results}
    computes = sorted({r.scenario.compute for r in results})
    return "\n".join(
        [
            heading(
                f"Packing: uploads to last file processed ({', '.join(computes)}, max_vcpus "
                + ", ".join(f"{v:,}" for v in sorted(vcpus))
                + ")"
            ),
            table(
                [
                    "files",
                    "each",
                    "mode",
                    "SubmitJob",
                    "containers",
                    "files/container",
                    "last processed (min)",
                    "vCPU bound (min)",
                    "vs bound",
                    "compute cost",
                    "outcome PUTs",
                ],
                rows,
            ),
            "",
            "Where the time goes, minutes per slot (one container's vCPUs; they add up to the"
            " last processed):",
            table(
                [
                    "files",
                    "each",
                    "mode",
                    "working",
                    "image pull/start",
                    "filling (before the first)",
                    "waiting (between)",
                    "tail (after the last)",
                    "last processed (min)",
                ],
                splits,
            ),
        ]
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The packing benchmark's options."""
    parser.add_argument("--packing-files", default="1000,100000,1000000")
    parser.add_argument("--packing-seconds", default="1,60")
    parser.add_argument("--packing-modes", default=",".join(MODES))
    parser.add_argument("--max-vcpus", type=int, default=1024)
    parser.add_argument("--compute", choices=("fargate", "ec2"), default="fargate")
    parser.add_argument("--lookups-per-file", type=float, default=0.0)
    parser.add_argument("--writes-per-file", type=int, default=WRITES_PER_FILE)
    parser.add_argument("--packing-seed", type=int, default=Scenario.seed)
    parser.add_argument("--count-lag", type=float, default=COUNT_LAG_SECONDS)
    parser.add_argument(
        "--image-pull",
        type=float,
        default=IMAGE_PULL_MEDIAN,
        help="median seconds to pull the image and start a container (default %(default)s)",
    )
    parser.add_argument(
        "--files-per-child",
        type=int,
        default=None,
        help="PackingOptions.files_per_child for packed mode (default: the construct's)",
    )


def from_arguments(args: argparse.Namespace) -> list[Result]:
    """Run every scenario the options name."""
    return [
        run_scenario(
            Scenario(
                files=int(files),
                seconds_per_file=float(seconds),
                mode=mode,
                max_vcpus=args.max_vcpus,
                compute=args.compute,
                lookups_per_file=args.lookups_per_file,
                writes_per_file=args.writes_per_file,
                seed=args.packing_seed,
                count_lag=args.count_lag,
                image_pull_median=args.image_pull,
                files_per_child=args.files_per_child,
            )
        )
        for seconds in args.packing_seconds.split(",")
        for files in args.packing_files.split(",")
        for mode in args.packing_modes.split(",")
    ]


def main(argv: Sequence[str]) -> None:
    """``python -m benchmarks.packing``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.packing", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    print(report(from_arguments(args)), flush=True)


def as_json(results: Sequence[Result]) -> list[dict[str, Any]]:
    """Every figure, for ``--json``."""
    return [
        {**r.scenario.__dict__, **{k: v for k, v in r.__dict__.items() if k != "scenario"}}
        for r in results
    ]


if __name__ == "__main__":
    main(sys.argv[1:])
