"""What an EC2 instance type can hold, read from its name, for checks at synth.

No AWS call is made at synth, so the capacity comes from EC2's naming: the size says the vCPUs
(``large`` 2, ``xlarge`` 4, ``Nxlarge`` 4N, ``medium`` 1) and, for the general purpose,
compute and memory optimized families (``m``, ``c``, ``r``) of the fifth generation on, the
family says the memory per vCPU (4, 2 and 8 GiB); older ones (``c4.large`` has 3.75 GiB, not
4) and ``c5n`` (5.25 GiB a ``large``) do not follow it, so their memory is not known. A type
whose name says neither (a family such as ``"c7i"``, ``metal``, burstable, GPU or storage
families) has no known capacity: checks against it are skipped rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_TYPE = re.compile(r"^(([a-z]+)(\d+)[a-z-]*)\.(medium|large|(\d*)xlarge)$")
_GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8}
_FIRST_REGULAR_GENERATION = 5
_IRREGULAR_FAMILIES = frozenset({"c5n"})


@dataclass(frozen=True)
class Capacity:
    """The vCPUs and memory of one instance type (its memory None when its name does not say)."""

    instance_type: str
    """The type, as configured."""
    vcpus: int
    """Its vCPUs."""
    memory_mib: int | None
    """Its memory in MiB, when its family says it."""

    def holds(self, vcpus: float, memory_mib: float) -> bool:
        """Whether one job of ``vcpus`` and ``memory_mib`` fits on one instance of this type.

        The whole memory never does: the operating system and the ECS agent keep some, so Batch
        cannot place a job asking for all of it (AWS Batch's "Compute resource memory
        management")."""
        return vcpus <= self.vcpus and (self.memory_mib is None or memory_mib < self.memory_mib)


def capacity_of(instance_type: str) -> Capacity | None:
    """The capacity of ``instance_type``; None when its name does not tell its vCPUs."""
    match = _TYPE.match(instance_type)
    if match is None:
        return None
    family, letters, generation, size, multiple = match.groups()
    if letters == "t":  # burstable: a t3.medium has 2 vCPUs
        return None
    if size == "medium":
        vcpus = 1
    elif size == "large":
        vcpus = 2
    else:
        vcpus = 4 * int(multiple or 1)
    regular = int(generation) >= _FIRST_REGULAR_GENERATION and family not in _IRREGULAR_FAMILIES
    per_vcpu = _GIB_PER_VCPU.get(letters) if regular else None
    return Capacity(instance_type, vcpus, None if per_vcpu is None else vcpus * per_vcpu * 1024)


def known_capacities(instance_types: Sequence[str]) -> list[Capacity] | None:
    """The capacity of every type in ``instance_types``; None when any one is not known (a job
    too large for the known ones may still fit an unknown one)."""
    capacities = [capacity_of(instance_type) for instance_type in instance_types]
    if not capacities or any(capacity is None for capacity in capacities):
        return None
    return [capacity for capacity in capacities if capacity is not None]
