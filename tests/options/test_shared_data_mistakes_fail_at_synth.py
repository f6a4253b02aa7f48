"""Shared data that jobs could not mount, or that would hide part of the image, fails at synth
naming the prop, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2, aws_efs

from batch_pipeline_construct import (
    BatchFilePipeline,
    PipelineConfigurationError,
    SharedDataOptions,
)
from tests.support.pipeline_builders import build_pipeline

CASES: dict[str, tuple[SharedDataOptions, str, str]] = {
    # id: (shared data, prop named in the error, words of what is allowed)
    "mount-at-root": (SharedDataOptions(mount_path="/"), "shared_data.mount_path", "not '/'"),
    "mount-relative": (
        SharedDataOptions(mount_path="mnt/shared"),
        "shared_data.mount_path",
        "an absolute path",
    ),
    "mount-with-dots": (
        SharedDataOptions(mount_path="/mnt/../etc"),
        "shared_data.mount_path",
        "without '.', '..'",
    ),
    "mount-trailing-slash": (
        SharedDataOptions(mount_path="/mnt/shared/"),
        "shared_data.mount_path",
        "a trailing '/'",
    ),
    "mount-in-a-system-folder": (
        SharedDataOptions(mount_path="/usr/share/ref"),
        "shared_data.mount_path",
        "neither inside nor around",
    ),
    "mount-over-scratch": (
        SharedDataOptions(mount_path="/tmp"),
        "shared_data.mount_path",
        "/tmp",
    ),
    "mount-hiding-the-resolver": (
        SharedDataOptions(mount_path="/opt"),
        "shared_data.mount_path",
        "/opt/batch-pipeline",
    ),
    "relative-path": (SharedDataOptions(path="data"), "shared_data.path", "an absolute path"),
    "writable-root-of-a-new-file-system": (
        SharedDataOptions(read_only=False),
        "shared_data.path",
        "a directory such as '/data' when read_only=False",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_shared_data_is_named_with_its_value_and_what_is_allowed(
    dockerfile_dir: Path, case: str
) -> None:
    shared_data, prop, allowed = CASES[case]
    with pytest.raises(PipelineConfigurationError) as raised:
        build_pipeline(dockerfile_dir, shared_data=shared_data)
    assert raised.value.prop == prop
    assert allowed in str(raised.value)


def test_mount_paths_beside_reserved_folders_are_accepted(dockerfile_dir: Path) -> None:
    for mount_path in ("/mnt/shared", "/reference", "/opt/models", "/usrdata"):
        build_pipeline(dockerfile_dir, shared_data=SharedDataOptions(mount_path=mount_path))


def test_a_file_system_you_pass_needs_the_vpc_it_lives_in(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    file_system = aws_efs.FileSystem.from_file_system_attributes(
        stack,
        "Reference",
        file_system_id="fs-0123456789abcdef0",
        security_group=aws_ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0efs"),
    )
    with pytest.raises(PipelineConfigurationError) as raised:
        BatchFilePipeline(
            stack,
            "Pipeline",
            dockerfile_path=str(dockerfile_dir),
            shared_data=SharedDataOptions(file_system=file_system),
        )
    assert raised.value.prop == "shared_data.file_system"
    assert raised.value.value is file_system
    assert "invalid shared_data.file_system=<aws_efs.IFileSystem Stack/Reference>: " in str(
        raised.value
    )
    assert "pass that VPC as vpc" in str(raised.value)


def test_a_file_system_you_pass_may_be_written_at_its_root(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    vpc = aws_ec2.Vpc(stack, "Lab", max_azs=2)
    file_system = aws_efs.FileSystem(stack, "Scratch", vpc=vpc)
    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        vpc=vpc,
        shared_data=SharedDataOptions(file_system=file_system, read_only=False),
    )
