"""An instance type's vCPUs come from its size and its memory from its family, where EC2's naming
says them; where it does not (families, metal, burstable, GPU memory) nothing is guessed."""

from __future__ import annotations

import pytest

from batch_pipeline_construct._instance_capacity import (
    Capacity,
    capacity_of,
    known_capacities,
)


@pytest.mark.parametrize(
    ("instance_type", "vcpus", "memory_mib"),
    [
        ("c7i.large", 2, 4096),
        ("m7g.medium", 1, 4096),
        ("r7i.xlarge", 4, 32768),
        ("m7i-flex.2xlarge", 8, 32768),
        ("c6gn.16xlarge", 64, 131072),
        ("g5.12xlarge", 48, None),
        ("p3.2xlarge", 8, None),
    ],
)
def test_a_sized_type_tells_its_vcpus_and_for_c_m_r_its_memory(
    instance_type: str, vcpus: int, memory_mib: int | None
) -> None:
    capacity = capacity_of(instance_type)
    assert capacity is not None
    assert (capacity.vcpus, capacity.memory_mib) == (vcpus, memory_mib)


@pytest.mark.parametrize("instance_type", ["c7i", "g5", "m5.metal", "t3.medium", "optimal"])
def test_a_type_whose_name_does_not_tell_its_size_has_no_capacity(instance_type: str) -> None:
    assert capacity_of(instance_type) is None


@pytest.mark.parametrize(
    ("instance_type", "vcpus"),
    [("c5n.large", 2), ("c4.large", 2), ("m3.medium", 1), ("r4.xlarge", 4)],
)
def test_a_family_off_the_memory_per_vcpu_rule_has_no_known_memory(
    instance_type: str, vcpus: int
) -> None:
    # c5n.large has 5.25 GiB (not 4), c4.large 3.75, m3.medium 3.75, r4.xlarge 30.5.
    assert capacity_of(instance_type) == Capacity(instance_type, vcpus, None)


def test_a_job_asking_for_all_of_an_instance_s_memory_does_not_fit_it() -> None:
    capacity = capacity_of("m7i.large")
    assert capacity is not None
    assert capacity.holds(2, 8191)
    assert not capacity.holds(2, 8192)
    assert not capacity.holds(3, 4096)


def test_one_unknown_type_leaves_the_set_unknown() -> None:
    assert known_capacities(["c7i.large", "c7i"]) is None
    assert known_capacities([]) is None
    capacities = known_capacities(["c7i.large", "r7i.xlarge"])
    assert capacities is not None
    assert [c.holds(4, 16384) for c in capacities] == [False, True]
