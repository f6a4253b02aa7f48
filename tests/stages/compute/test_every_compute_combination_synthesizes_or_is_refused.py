"""Every documented compute combination synthesizes, or fails with our own error naming the prop.

Fargate or EC2, on-demand or Spot, x86-64 or arm64, with or without GPUs: 16 combinations. Each
that AWS can run becomes the compute environment it asks for; each it cannot run is refused at
synth with ``PipelineConfigurationError``, never with a jsii or CloudFormation error.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Size

from batch_pipeline_construct import (
    ComputeOptions,
    ComputeType,
    JobOptions,
    PipelineConfigurationError,
)
from tests.support.pipeline_builders import only, template_of

GRAVITON_FAMILIES = ("c7g", "m7g", "r7g", "c6g", "m6g", "r6g")

REFUSED: dict[tuple[ComputeType, bool, bool, bool], str] = {
    # (type, spot, arm64, gpus): the prop the error names
    (ComputeType.FARGATE, False, False, True): "job.gpus",
    (ComputeType.FARGATE, True, False, True): "job.gpus",
    (ComputeType.FARGATE, False, True, True): "compute.arm64",
    (ComputeType.FARGATE, True, True, True): "compute.spot",
    (ComputeType.FARGATE, True, True, False): "compute.spot",
    (ComputeType.EC2, False, True, True): "compute.arm64",
    (ComputeType.EC2, True, True, True): "compute.arm64",
}

COMBINATIONS = list(itertools.product(ComputeType, (False, True), (False, True), (False, True)))


def _name(combination: tuple[ComputeType, bool, bool, bool]) -> str:
    kind, spot, arm64, gpus = combination
    return "-".join(
        (
            kind.value.lower(),
            "spot" if spot else "on-demand",
            "arm64" if arm64 else "x86",
            "gpu" if gpus else "cpu",
        )
    )


def _props(kind: ComputeType, spot: bool, arm64: bool, gpus: bool) -> dict[str, Any]:
    job = JobOptions(vcpus=4, memory=Size.gibibytes(15), gpus=1) if gpus else JobOptions()
    return {"compute": ComputeOptions(type=kind, spot=spot, arm64=arm64), "job": job}


@pytest.mark.parametrize("combination", COMBINATIONS, ids=[_name(c) for c in COMBINATIONS])
def test_each_combination_synthesizes_what_it_asks_for_or_is_refused_by_name(
    dockerfile_dir: Path, combination: tuple[ComputeType, bool, bool, bool]
) -> None:
    kind, spot, arm64, gpus = combination
    if combination in REFUSED:
        with pytest.raises(PipelineConfigurationError) as refused:
            template_of(dockerfile_dir, **_props(*combination))
        assert refused.value.prop == REFUSED[combination]
        return

    template = template_of(dockerfile_dir, **_props(*combination))
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    resources = environment["Properties"]["ComputeResources"]
    _, definition = only(template, "AWS::Batch::JobDefinition")
    container = definition["Properties"]["ContainerProperties"]

    if kind is ComputeType.FARGATE:
        assert resources["Type"] == ("FARGATE_SPOT" if spot else "FARGATE")
        platform = container["RuntimePlatform"]["CpuArchitecture"]
        assert platform == ("ARM64" if arm64 else "X86_64")
        return
    assert resources["Type"] == ("SPOT" if spot else "EC2")
    assert resources["MinvCpus"] == 0
    if gpus:
        assert resources["InstanceTypes"] == ["g5"]
        assert resources["Ec2Configuration"] == [{"ImageType": "ECS_AL2023_NVIDIA"}]
        assert {"Type": "GPU", "Value": "1"} in container["ResourceRequirements"]
    elif arm64:
        assert sorted(resources["InstanceTypes"]) == sorted(GRAVITON_FAMILIES)
    else:
        assert resources["InstanceTypes"] == ["optimal"]
