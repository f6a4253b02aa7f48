"""The planner sizes a batch's children from the work still waiting behind it: five-minute
children while more than a wave of the compute environment waits, shorter ones as it runs out
(never shorter than ``MIN_CHILD_SECONDS`` of work), so the burst's last children end close
together; every file is in exactly one child whatever the count says."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch_pipeline_construct.runtime.job.contract import JobContract
from batch_pipeline_construct.runtime.job.manifest import (
    MAX_ARRAY_SIZE,
    MIN_CHILD_SECONDS,
    TARGET_CHILD_SECONDS,
    Manifest,
    PackingSettings,
    plan_manifest,
    read_manifest,
)

ONE_SECOND_FILES = PackingSettings(files_per_child=300, min_children=20, capacity=256)
"""The defaults for one-second files on 256 vCPUs: at most 300 files (5 minutes) a child."""
SHORTEST = 60
"""Files of the shortest child at those settings: a minute of one-second files."""
BATCH = 10_000
"""Files per array job (bulk mode's default)."""
ONE_FILE = JobContract("in", "k", "out", "k/")


def share_sizes(count: int, waiting: int, packing: PackingSettings) -> list[int]:
    contracts = [JobContract("in", f"k{n}", "out", f"k{n}/") for n in range(count)]
    plan = plan_manifest(contracts, "out", packing, waiting=waiting)
    manifest = read_manifest(plan.body)
    return [len(manifest.share(child)) for child in range(plan.array_size)]


def test_a_backlog_of_a_wave_or_more_gets_five_minute_children() -> None:
    assert ONE_SECOND_FILES.wave == 256 * 300
    for waiting in (ONE_SECOND_FILES.wave, 10 * ONE_SECOND_FILES.wave):
        assert set(share_sizes(10_000, waiting, ONE_SECOND_FILES)) == {294, 295}


def test_children_shrink_with_the_work_left_below_a_wave() -> None:
    children = [
        len(share_sizes(10_000, waiting, ONE_SECOND_FILES))
        for waiting in (70_000, 50_000, 30_000, 20_000, 10_000)
    ]

    # 10,000 files shared as (10,000 + waiting) / 256 files a child: 312 (300 at most), 234,
    # 156, 117, 78
    assert children == [34, 43, 64, 86, 128]


def test_children_never_get_shorter_than_a_minute_of_work() -> None:
    assert ONE_SECOND_FILES.files_per_child * MIN_CHILD_SECONDS / TARGET_CHILD_SECONDS == SHORTEST
    assert min(share_sizes(10_000, 0, ONE_SECOND_FILES)) == SHORTEST
    few_children = replace(ONE_SECOND_FILES, min_children=2)
    assert min(share_sizes(1_000, 0, few_children)) == SHORTEST + 2  # 16 children, not 17


def test_a_small_drop_with_nothing_waiting_spreads_over_the_capacity() -> None:
    one_minute_files = PackingSettings(files_per_child=4, min_children=20, capacity=256)

    assert share_sizes(1_000, 0, one_minute_files).count(4) == 1_000 - 3 * 256
    assert len(share_sizes(1_000, 0, one_minute_files)) == 256


def test_a_wrong_count_changes_only_the_sizes_never_the_files() -> None:
    for waiting in (-5, 0, 17, 10**12):
        sizes = share_sizes(4_801, waiting, ONE_SECOND_FILES)
        assert sum(sizes) == 4_801
        assert max(sizes) - min(sizes) <= 1


@given(
    count=st.integers(min_value=1, max_value=30_000),
    waiting=st.integers(min_value=0, max_value=10**9),
    files_per_child=st.integers(min_value=1, max_value=2_000),
    capacity=st.integers(min_value=1, max_value=20_000),
    min_children=st.integers(min_value=2, max_value=10_000),
)
def test_children_stay_within_batchs_limits_and_the_shortest_child(
    count: int, waiting: int, files_per_child: int, capacity: int, min_children: int
) -> None:
    packing = PackingSettings(
        files_per_child=files_per_child, min_children=min_children, capacity=capacity
    )

    children = packing.children_for(count, waiting=waiting)

    assert 1 <= children <= min(count, MAX_ARRAY_SIZE)
    shortest = max(1, files_per_child * MIN_CHILD_SECONDS // TARGET_CHILD_SECONDS)
    if children > max(min_children, math.ceil(count / files_per_child)):
        assert count // children >= shortest
    if children < MAX_ARRAY_SIZE:
        assert math.ceil(count / children) <= files_per_child or children >= count


def burst_children(
    packing: PackingSettings, burst: int, waiting_of: Callable[[int], int]
) -> list[int]:
    """Files of every child of a burst cut into batches of 10,000, in submission order;
    ``waiting_of(done)``: the count the planner is given after ``done`` files."""
    sizes: list[int] = []
    for done in range(0, burst, BATCH):
        count = min(BATCH, burst - done)
        children = packing.children_for(count, waiting=waiting_of(done + count))
        manifest = Manifest((ONE_FILE,) * count, children, parallelism=1, max_file_attempts=1)
        sizes += [len(manifest.share(child)) for child in range(children)]
    return sizes


def last_wave_spread(children: list[int], slots: int) -> float:
    """Seconds between the first and the last slot of the compute environment running out of
    work: one-second files, every child started in submission order on the first free slot, the
    slots busy at first with children ending evenly over five minutes (a busy environment)."""
    free_at = [slot * TARGET_CHILD_SECONDS / slots for slot in range(slots)]
    for files in children:
        heapq.heappush(free_at, heapq.heappop(free_at) + files)
    return max(free_at) - min(free_at)


@pytest.mark.parametrize("slots", [256, 1_024])
def test_a_bursts_last_children_end_within_a_short_child_of_each_other(slots: int) -> None:
    packing = PackingSettings(files_per_child=300, min_children=20, capacity=slots)
    burst = 1_000_000
    sized_by_count = burst_children(packing, burst, lambda done: burst - done)
    full_until_the_last = burst_children(
        packing, burst, lambda done: packing.wave if done < burst else 0
    )

    assert sum(sized_by_count) == burst
    assert last_wave_spread(sized_by_count, slots) <= 1.1 * MIN_CHILD_SECONDS
    assert last_wave_spread(full_until_the_last, slots) >= 2.5 * MIN_CHILD_SECONDS
