"""Sizing classes: the resources of a job chosen by the size of its input object.

The construct turns ``JobOptions.sizes`` into a tuple of :class:`SizeClass` (ascending bounds,
the last one open-ended), carried to the arrival function in its settings. For each file the
arrival function takes the first class whose bound the object's size does not exceed (a bound
is inclusive: ``size <= up_to_bytes``) and submits the job with that class's vCPUs, memory and
GPUs as ``containerOverrides.resourceRequirements``. In bulk mode the files of one class share
an array job (one manifest per class). A file of unknown size, or a pipeline without classes,
runs with the job definition's own resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_batch.type_defs import ResourceRequirementTypeDef

SIZE_CLASS_PARAMETER = "sizeClass"
"""Batch job parameter naming the class a job was sized by: ``sizes[i]``, as in ``JobOptions``."""


@dataclass(frozen=True)
class SizeClass:
    """The resources of the jobs of objects up to ``up_to_bytes`` (no bound when None)."""

    vcpus: float
    """vCPUs of the job."""
    memory_mib: int
    """Memory of the job, in MiB."""
    up_to_bytes: int | None = None
    """The largest object size (bytes, inclusive) of this class; None for the last class."""
    gpus: int = 0
    """GPUs of the job; 0 sends no GPU override, so the job definition's GPUs apply."""

    def resource_requirements(self) -> list[ResourceRequirementTypeDef]:
        """SubmitJob's ``containerOverrides.resourceRequirements`` for this class."""
        requirements: list[ResourceRequirementTypeDef] = [
            {"type": "VCPU", "value": f"{self.vcpus:g}"},
            {"type": "MEMORY", "value": str(self.memory_mib)},
        ]
        if self.gpus:
            requirements.append({"type": "GPU", "value": str(self.gpus)})
        return requirements


def class_index(classes: Sequence[SizeClass], size: int | None) -> int | None:
    """The index of the class of an object of ``size`` bytes; None when there are no classes or
    the size is unknown (the job definition's resources apply)."""
    if size is None:
        return None
    for index, size_class in enumerate(classes):
        if size_class.up_to_bytes is None or size <= size_class.up_to_bytes:
            return index
    return None


def class_label(index: int) -> str:
    """How a job names its class: ``sizes[0]``, the option's own spelling."""
    return f"sizes[{index}]"
