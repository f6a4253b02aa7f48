"""EC2 instance types of the other CPU architecture than the image are refused at synth.

An arm64 image on x86-64 instances (or the reverse) deploys, and then every job fails with
``exec format error``; the mismatch is named before anything is deployed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_pipeline_construct import ComputeOptions, ComputeType, PipelineConfigurationError
from tests.support.pipeline_builders import template_of


@pytest.mark.parametrize(
    ("arm64", "instance_type"),
    [(True, "c5.large"), (True, "g5"), (False, "c7g.large"), (False, "m6gd"), (False, "a1")],
)
def test_an_instance_type_of_the_other_architecture_is_refused(
    dockerfile_dir: Path, arm64: bool, instance_type: str
) -> None:
    compute = ComputeOptions(type=ComputeType.EC2, arm64=arm64, instance_types=(instance_type,))

    with pytest.raises(PipelineConfigurationError, match=f"set arm64={not arm64}") as refused:
        template_of(dockerfile_dir, compute=compute)

    assert refused.value.prop == "compute.instance_types"
    assert refused.value.value == instance_type


@pytest.mark.parametrize(
    ("arm64", "instance_types"),
    [(True, ("c7g.large", "m6gd", "t4g", "is4gen")), (False, ("c5.large", "g5", "m7i.large"))],
)
def test_instance_types_of_the_image_architecture_synthesize(
    dockerfile_dir: Path, arm64: bool, instance_types: tuple[str, ...]
) -> None:
    compute = ComputeOptions(type=ComputeType.EC2, arm64=arm64, instance_types=instance_types)

    template_of(dockerfile_dir, compute=compute)
