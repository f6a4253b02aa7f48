"""``JobOptions.sizes``: every sizing class AWS could not run fails at synth, naming the class
(``job.sizes[i]``), its value and what is allowed; a valid set reaches the arrival function."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Size

from batch_pipeline_construct import (
    ComputeOptions,
    ComputeType,
    JobOptions,
    JobSize,
)
from batch_pipeline_construct.runtime.settings import ArrivalSettings
from batch_pipeline_construct.runtime.sizing import SizeClass
from tests.support.pipeline_builders import build_pipeline, refusal, resources, template_of

GIB = Size.gibibytes
SMALL = JobSize(up_to=GIB(1), vcpus=1, memory=GIB(2))
MEDIUM = JobSize(up_to=GIB(20), vcpus=4, memory=GIB(16))
LARGE = JobSize(vcpus=16, memory=GIB(64))


def ec2(*instance_types: str) -> ComputeOptions:
    return ComputeOptions(type=ComputeType.EC2, instance_types=instance_types)


CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    # id: (props, prop named in the error, words of what is allowed)
    "fargate-pair-that-does-not-exist": (
        {"job": JobOptions(sizes=[SMALL, JobSize(vcpus=4, memory=GIB(64))])},
        "job.sizes[1].memory",
        "with 4 vCPU Fargate allows 8192 to 30720 MiB",
    ),
    "fargate-vcpus-that-do-not-exist": (
        {"job": JobOptions(sizes=[JobSize(vcpus=3, memory=GIB(8))])},
        "job.sizes[0].vcpus",
        "Fargate allows 0.25, 0.5, 1, 2, 4, 8, 16",
    ),
    "bounds-out-of-order": (
        {"job": JobOptions(sizes=[MEDIUM, SMALL, LARGE])},
        "job.sizes[1].up_to",
        "more than job.sizes[0].up_to (20 GiB)",
    ),
    "equal-bounds": (
        {"job": JobOptions(sizes=[SMALL, JobSize(up_to=GIB(1), vcpus=4, memory=GIB(16)), LARGE])},
        "job.sizes[1].up_to",
        "classes go from small to large",
    ),
    "two-open-ended-classes": (
        {"job": JobOptions(sizes=[JobSize(vcpus=1, memory=GIB(2)), LARGE])},
        "job.sizes[0].up_to",
        "only the last class is open-ended",
    ),
    "last-class-bounded": (
        {"job": JobOptions(sizes=[SMALL, MEDIUM])},
        "job.sizes[1].up_to",
        "no up_to: the last class takes every larger file",
    ),
    "ec2-class-bigger-than-every-instance-type": (
        {"compute": ec2("c7i.xlarge", "m7i.2xlarge"), "job": JobOptions(sizes=[SMALL, LARGE])},
        "job.sizes[1]",
        "no instance type of compute.instance_types can hold: c7i.xlarge (4 vCPU, 8192 MiB), "
        "m7i.2xlarge (8 vCPU, 32768 MiB)",
    ),
    "ec2-class-with-more-memory-than-the-instance-type": (
        {
            "compute": ec2("c7i.4xlarge"),
            "job": JobOptions(sizes=[JobSize(vcpus=4, memory=GIB(64))]),
        },
        "job.sizes[0]",
        "c7i.4xlarge (16 vCPU, 32768 MiB)",
    ),
    "ec2-class-with-all-of-the-instance-type-s-memory": (
        {"compute": ec2("m7i.large"), "job": JobOptions(sizes=[JobSize(vcpus=2, memory=GIB(8))])},
        "job.sizes[0]",
        "m7i.large (2 vCPU, 8192 MiB); a job gets less than all of an instance's memory (the "
        "instance keeps some for itself)",
    ),
    "ec2-class-with-a-fraction-of-a-vcpu": (
        {"compute": ec2(), "job": JobOptions(sizes=[JobSize(vcpus=0.5, memory=GIB(1))])},
        "job.sizes[0].vcpus",
        "at least 1 on EC2",
    ),
    "more-vcpus-than-the-compute-environment": (
        {
            "compute": ComputeOptions(type=ComputeType.EC2, max_vcpus=8),
            "job": JobOptions(sizes=[JobSize(vcpus=16, memory=GIB(64))]),
        },
        "job.sizes[0].vcpus",
        "at most compute.max_vcpus (8)",
    ),
    "gpus-on-fargate": (
        {"job": JobOptions(sizes=[JobSize(vcpus=4, memory=GIB(16), gpus=1)])},
        "job.sizes[0].gpus",
        "Fargate has no GPUs",
    ),
    "gpus-without-a-gpu-compute-environment": (
        {"compute": ec2(), "job": JobOptions(sizes=[JobSize(vcpus=4, memory=GIB(16), gpus=1)])},
        "job.sizes[0].gpus",
        "set job.gpus too",
    ),
    "no-gpus-for-a-class-of-a-gpu-job": (
        {
            "compute": ec2(),
            "job": JobOptions(gpus=1, sizes=[JobSize(vcpus=4, memory=GIB(16), gpus=0)]),
        },
        "job.sizes[0].gpus",
        "1 or more, or leave it out for job.gpus",
    ),
    "too-little-memory": (
        {"compute": ec2(), "job": JobOptions(sizes=[JobSize(vcpus=1, memory=Size.mebibytes(256))])},
        "job.sizes[0].memory",
        "at least 512 MiB",
    ),
    "memory-as-a-number": (
        {"job": JobOptions(sizes=[JobSize(vcpus=1, memory=4096)])},  # type: ignore[arg-type]
        "job.sizes[0].memory",
        "Size.mebibytes(4096)",
    ),
}


@pytest.mark.parametrize(("props", "prop", "allowed"), list(CASES.values()), ids=list(CASES))
def test_bad_class_fails_naming_its_index(
    dockerfile_dir: Path, props: dict[str, Any], prop: str, allowed: str
) -> None:
    message = str(refusal(dockerfile_dir, **props))
    assert message.startswith(f"BatchFilePipeline: invalid {prop}=")
    assert allowed in message


def _arrival_settings(template: Any) -> ArrivalSettings:
    """The settings the arrival function of ``template`` reads (tokens as ``"token"``)."""
    [arrival] = [
        function
        for function in resources(template, "AWS::Lambda::Function").values()
        if "BPC_JOB_QUEUE_ARN" in function["Properties"].get("Environment", {}).get("Variables", {})
    ]
    variables = {
        name: value if isinstance(value, str) else "token"
        for name, value in arrival["Properties"]["Environment"]["Variables"].items()
    }
    return ArrivalSettings.from_environ(variables)


@pytest.mark.parametrize(
    "compute",
    [
        ec2("c7i.4xlarge", "r7i.4xlarge"),  # r7i.4xlarge: 16 vCPU, 128 GiB holds the largest
        ec2("c7i"),  # a family: its sizes are not known at synth, so only max_vcpus is checked
        ec2(),  # optimal
    ],
    ids=["a-large-enough-type", "a-family", "optimal"],
)
def test_classes_that_fit_are_accepted_on_ec2(
    dockerfile_dir: Path, compute: ComputeOptions
) -> None:
    build_pipeline(dockerfile_dir, compute=compute, job=JobOptions(sizes=[SMALL, MEDIUM, LARGE]))


def test_the_classes_reach_the_arrival_function(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, job=JobOptions(sizes=[SMALL, MEDIUM, LARGE]))

    assert _arrival_settings(template).job_sizes == (
        SizeClass(vcpus=1, memory_mib=2048, up_to_bytes=2**30),
        SizeClass(vcpus=4, memory_mib=16384, up_to_bytes=20 * 2**30),
        SizeClass(vcpus=16, memory_mib=65536, up_to_bytes=None),
    )


def test_without_classes_the_arrival_function_gets_no_sizing(default_template: Any) -> None:
    for function in resources(default_template, "AWS::Lambda::Function").values():
        assert "BPC_JOB_SIZES" not in function["Properties"].get("Environment", {}).get(
            "Variables", {}
        )


def test_a_class_without_gpus_of_its_own_gets_the_job_definitions(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir,
        compute=ec2(),
        job=JobOptions(
            gpus=1,
            sizes=[
                JobSize(up_to=GIB(1), vcpus=4, memory=GIB(16)),
                JobSize(vcpus=8, memory=GIB(32), gpus=2),
            ],
        ),
    )

    [definition] = resources(template, "AWS::Batch::JobDefinition").values()
    assert {"Type": "GPU", "Value": "1"} in definition["Properties"]["ContainerProperties"][
        "ResourceRequirements"
    ]
    default, own = _arrival_settings(template).job_sizes
    assert [r["type"] for r in default.resource_requirements()] == ["VCPU", "MEMORY"]
    assert {"type": "GPU", "value": "2"} in own.resource_requirements()
