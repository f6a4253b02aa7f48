"""Compute: Fargate by default, managed EC2 with instance types, Spot, GPUs; always scales to zero."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Size
from aws_cdk.assertions import Template

from batch_pipeline_construct import ComputeOptions, ComputeType, JobOptions
from tests.support.pipeline_builders import build_pipeline, only, template_of


def test_default_is_on_demand_fargate_without_fixed_names(default_template: Template) -> None:
    _, environment = only(default_template, "AWS::Batch::ComputeEnvironment")
    assert environment["Properties"]["ComputeResources"]["Type"] == "FARGATE"
    assert environment["Properties"]["ComputeResources"]["MaxvCpus"] == 256
    assert environment["Properties"]["ReplaceComputeEnvironment"] is True
    assert "ComputeEnvironmentName" not in environment["Properties"]
    _, queue = only(default_template, "AWS::Batch::JobQueue")
    assert "JobQueueName" not in queue["Properties"]
    _, definition = only(default_template, "AWS::Batch::JobDefinition")
    assert "JobDefinitionName" not in definition["Properties"]


def test_default_vpc_has_no_nat_gateway_and_public_ips_for_fargate(
    default_template: Template,
) -> None:
    assert default_template.find_resources("AWS::EC2::NatGateway") == {}
    _, definition = only(default_template, "AWS::Batch::JobDefinition")
    assert definition["Properties"]["ContainerProperties"]["NetworkConfiguration"] == {
        "AssignPublicIp": "ENABLED"
    }
    _, endpoint = only(default_template, "AWS::EC2::VPCEndpoint")
    assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"


def test_fargate_spot(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, compute=ComputeOptions(spot=True, max_vcpus=64))
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    assert environment["Properties"]["ComputeResources"]["Type"] == "FARGATE_SPOT"
    assert environment["Properties"]["ComputeResources"]["MaxvCpus"] == 64


def test_ec2_spot_with_instance_types_scales_from_zero(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir,
        compute=ComputeOptions(
            type=ComputeType.EC2, spot=True, instance_types=("c7i.large", "m7i")
        ),
        job=JobOptions(vcpus=2, memory=Size.gibibytes(4)),
    )
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    resources = environment["Properties"]["ComputeResources"]
    assert resources["Type"] == "SPOT"
    assert resources["MinvCpus"] == 0
    assert sorted(resources["InstanceTypes"]) == ["c7i.large", "m7i"]
    assert resources["AllocationStrategy"] == "SPOT_PRICE_CAPACITY_OPTIMIZED"


def test_gpu_jobs_get_gpus_and_the_al2023_nvidia_image(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir,
        compute=ComputeOptions(type=ComputeType.EC2),
        job=JobOptions(vcpus=4, memory=Size.gibibytes(15), gpus=1),
    )
    _, definition = only(template, "AWS::Batch::JobDefinition")
    requirements = definition["Properties"]["ContainerProperties"]["ResourceRequirements"]
    assert {"Type": "GPU", "Value": "1"} in requirements
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    resources = environment["Properties"]["ComputeResources"]
    assert resources["InstanceTypes"] == ["g5"]
    assert resources["Ec2Configuration"] == [{"ImageType": "ECS_AL2023_NVIDIA"}]


def test_arm64_builds_and_runs_arm_images(dockerfile_dir: Path) -> None:
    stack, _ = build_pipeline(dockerfile_dir, compute=ComputeOptions(arm64=True))
    template = Template.from_stack(stack)
    _, definition = only(template, "AWS::Batch::JobDefinition")
    assert (
        definition["Properties"]["ContainerProperties"]["RuntimePlatform"]["CpuArchitecture"]
        == "ARM64"
    )
    assembly = cdk.App.of(stack).synth()  # type: ignore[union-attr]
    assert (
        '"platform": "linux/arm64"' in (Path(assembly.directory) / "Stack.assets.json").read_text()
    )


def test_x86_is_the_default_image_platform(dockerfile_dir: Path) -> None:
    stack, _ = build_pipeline(dockerfile_dir)
    assembly = cdk.App.of(stack).synth()  # type: ignore[union-attr]
    assert (
        '"platform": "linux/amd64"' in (Path(assembly.directory) / "Stack.assets.json").read_text()
    )
