"""Disk: Fargate's ephemeral storage reaches the job definition in every mode; on EC2 the root
volume comes from a launch template (encrypted gp3, IMDSv2) the compute environment launches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Size

from batch_pipeline_construct import (
    BulkOptions,
    ComputeOptions,
    ComputeType,
    JobOptions,
    PackingOptions,
    PerFileOptions,
)
from tests.support.pipeline_builders import only, resources, template_of

MODES: dict[str, Any] = {
    "per-file": PerFileOptions(),
    "bulk, one file per child": BulkOptions(packing=PackingOptions(files_per_child=1)),
    "bulk, packed": BulkOptions(packing=PackingOptions(files_per_child=50)),
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_fargate_ephemeral_storage_reaches_the_only_job_definition(
    dockerfile_dir: Path, mode: str
) -> None:
    template = template_of(
        dockerfile_dir, mode=MODES[mode], job=JobOptions(ephemeral_storage=Size.gibibytes(120))
    )
    _, definition = only(template, "AWS::Batch::JobDefinition")
    container = definition["Properties"]["ContainerProperties"]
    assert container["EphemeralStorage"] == {"SizeInGiB": 120}
    assert resources(template, "AWS::EC2::LaunchTemplate") == {}


def test_fargate_without_ephemeral_storage_keeps_fargates_default(dockerfile_dir: Path) -> None:
    _, definition = only(template_of(dockerfile_dir), "AWS::Batch::JobDefinition")
    assert "EphemeralStorage" not in definition["Properties"]["ContainerProperties"]


@pytest.mark.parametrize("mode", sorted(MODES))
def test_ec2_root_volume_is_an_encrypted_gp3_volume_of_the_launch_template(
    dockerfile_dir: Path, mode: str
) -> None:
    template = template_of(
        dockerfile_dir,
        mode=MODES[mode],
        compute=ComputeOptions(type=ComputeType.EC2, root_volume_size=Size.gibibytes(250)),
    )
    template_id, launch_template = only(template, "AWS::EC2::LaunchTemplate")
    data = launch_template["Properties"]["LaunchTemplateData"]
    assert data["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {
                "DeleteOnTermination": True,
                "Encrypted": True,
                "VolumeSize": 250,
                "VolumeType": "gp3",
            },
        }
    ]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    # The compute environment launches this template's latest version, so a new size applies.
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    assert environment["Properties"]["ComputeResources"]["LaunchTemplate"] == {
        "LaunchTemplateId": {"Ref": template_id},
        "Version": {"Fn::GetAtt": [template_id, "LatestVersionNumber"]},
    }


def test_ec2_without_root_volume_size_keeps_the_amis_volume(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, compute=ComputeOptions(type=ComputeType.EC2))
    assert resources(template, "AWS::EC2::LaunchTemplate") == {}
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    assert "LaunchTemplate" not in environment["Properties"]["ComputeResources"]
