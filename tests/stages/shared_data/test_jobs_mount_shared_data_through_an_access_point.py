"""Shared data: every job mounts the EFS file system through one access point, as the job role,
over TLS, read-only unless asked, on Fargate and on EC2; the compute environment is let in on NFS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import RemovalPolicy, aws_ec2, aws_efs
from aws_cdk.assertions import Template

from batch_pipeline_construct import (
    BatchFilePipeline,
    ComputeOptions,
    ComputeType,
    SharedDataOptions,
)
from tests.support.pipeline_builders import only, resources, template_of

COMPUTE = {
    "fargate": ComputeOptions(),
    "ec2": ComputeOptions(type=ComputeType.EC2),
}


def _statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy_id, policy in resources(template, "AWS::IAM::Policy").items()
        if policy_id.startswith(role_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _efs_actions(template: Template) -> list[str]:
    actions: list[str] = []
    for statement in _statements(template, "PipelineComputeJobRole"):
        named = statement["Action"]
        actions += [
            action
            for action in ([named] if isinstance(named, str) else named)
            if action.startswith("elasticfilesystem:")
        ]
    return sorted(actions)


def _passed_file_system(stack: cdk.Stack) -> aws_efs.IFileSystem:
    return aws_efs.FileSystem.from_file_system_attributes(
        stack,
        "Reference",
        file_system_id="fs-0123456789abcdef0",
        security_group=aws_ec2.SecurityGroup.from_security_group_id(stack, "EfsGroup", "sg-0efs"),
    )


@pytest.mark.parametrize("compute", sorted(COMPUTE))
def test_jobs_mount_the_new_file_system_read_only_as_the_job_role_over_tls(
    dockerfile_dir: Path, compute: str
) -> None:
    template = template_of(
        dockerfile_dir, compute=COMPUTE[compute], shared_data=SharedDataOptions()
    )
    file_system_id, _ = only(template, "AWS::EFS::FileSystem")
    access_point_id, access_point = only(template, "AWS::EFS::AccessPoint")
    assert access_point["Properties"]["FileSystemId"] == {"Ref": file_system_id}
    assert access_point["Properties"]["PosixUser"] == {"Uid": "1000", "Gid": "1000"}
    assert access_point["Properties"]["RootDirectory"] == {"Path": "/"}

    _, definition = only(template, "AWS::Batch::JobDefinition")
    container = definition["Properties"]["ContainerProperties"]
    assert container["Volumes"] == [
        {
            "Name": "shared-data",
            "EfsVolumeConfiguration": {
                "FileSystemId": {"Ref": file_system_id},
                "TransitEncryption": "ENABLED",
                "AuthorizationConfig": {
                    "AccessPointId": {"Ref": access_point_id},
                    "Iam": "ENABLED",
                },
            },
        }
    ]
    assert container["MountPoints"] == [
        {"ContainerPath": "/mnt/shared", "ReadOnly": True, "SourceVolume": "shared-data"}
    ]
    assert {"Name": "SHARED_DATA_DIR", "Value": "/mnt/shared"} in container["Environment"]
    if compute == "fargate":
        # EFS volumes need Fargate platform 1.4.0 or later: LATEST, never an older pin.
        platform = container["FargatePlatformConfiguration"]
        assert platform.get("PlatformVersion", "LATEST") == "LATEST"
    # Jobs start only once the file system can be mounted in every zone.
    mount_targets = sorted(resources(template, "AWS::EFS::MountTarget"))
    assert len(mount_targets) == 2
    assert set(mount_targets) <= set(definition["DependsOn"])
    assert _efs_actions(template) == ["elasticfilesystem:ClientMount"]


@pytest.mark.parametrize("compute", sorted(COMPUTE))
def test_the_compute_environment_reaches_the_file_system_on_nfs_only(
    dockerfile_dir: Path, compute: str
) -> None:
    template = template_of(
        dockerfile_dir, compute=COMPUTE[compute], shared_data=SharedDataOptions()
    )
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    (job_security_group,) = environment["Properties"]["ComputeResources"]["SecurityGroupIds"]
    _, mount_target = next(iter(resources(template, "AWS::EFS::MountTarget").items()))
    (efs_security_group,) = mount_target["Properties"]["SecurityGroups"]
    _, ingress = only(template, "AWS::EC2::SecurityGroupIngress")
    assert ingress["Properties"]["GroupId"] == efs_security_group
    assert ingress["Properties"]["SourceSecurityGroupId"] == job_security_group
    assert (ingress["Properties"]["FromPort"], ingress["Properties"]["ToPort"]) == (2049, 2049)
    assert ingress["Properties"]["IpProtocol"] == "tcp"


def test_the_new_file_system_is_encrypted_elastic_tls_only_and_kept_like_the_buckets(
    dockerfile_dir: Path,
) -> None:
    template = template_of(dockerfile_dir, shared_data=SharedDataOptions())
    _, file_system = only(template, "AWS::EFS::FileSystem")
    properties = file_system["Properties"]
    assert properties["Encrypted"] is True
    assert properties["ThroughputMode"] == "elastic"
    assert "BackupPolicy" not in properties
    assert file_system["DeletionPolicy"] == "Retain"
    # The policy allows nothing (only the job role's own grant lets a client mount) and refuses
    # clients without TLS; no Allow for every principal that would undo read-only.
    assert properties["FileSystemPolicy"]["Statement"] == [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    destroyed = template_of(
        dockerfile_dir, shared_data=SharedDataOptions(), removal_policy=RemovalPolicy.DESTROY
    )
    assert only(destroyed, "AWS::EFS::FileSystem")[1]["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize("compute", sorted(COMPUTE))
def test_a_writable_directory_is_created_for_the_jobs_user_and_granted_write(
    dockerfile_dir: Path, compute: str
) -> None:
    template = template_of(
        dockerfile_dir,
        compute=COMPUTE[compute],
        shared_data=SharedDataOptions(path="/scratch", read_only=False, mount_path="/data"),
    )
    _, access_point = only(template, "AWS::EFS::AccessPoint")
    assert access_point["Properties"]["RootDirectory"] == {
        "Path": "/scratch",
        "CreationInfo": {"OwnerUid": "1000", "OwnerGid": "1000", "Permissions": "755"},
    }
    _, definition = only(template, "AWS::Batch::JobDefinition")
    container = definition["Properties"]["ContainerProperties"]
    assert container["MountPoints"] == [
        {"ContainerPath": "/data", "ReadOnly": False, "SourceVolume": "shared-data"}
    ]
    assert {"Name": "SHARED_DATA_DIR", "Value": "/data"} in container["Environment"]
    assert _efs_actions(template) == [
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientWrite",
    ]


@pytest.mark.parametrize("compute", sorted(COMPUTE))
def test_a_file_system_you_pass_is_mounted_and_its_security_group_opened(
    dockerfile_dir: Path, compute: str
) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Stack")
    vpc = aws_ec2.Vpc(stack, "Lab", max_azs=2)
    file_system = _passed_file_system(stack)
    pipeline = BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        compute=COMPUTE[compute],
        vpc=vpc,
        shared_data=SharedDataOptions(file_system=file_system, path="/genomes/hg38"),
    )
    template = Template.from_stack(stack)
    assert resources(template, "AWS::EFS::FileSystem") == {}
    _, access_point = only(template, "AWS::EFS::AccessPoint")
    assert access_point["Properties"]["FileSystemId"] == "fs-0123456789abcdef0"
    assert access_point["Properties"]["RootDirectory"]["Path"] == "/genomes/hg38"
    _, ingress = only(template, "AWS::EC2::SecurityGroupIngress")
    assert ingress["Properties"]["GroupId"] == "sg-0efs"
    assert ingress["Properties"]["FromPort"] == 2049
    _, definition = only(template, "AWS::Batch::JobDefinition")
    (volume,) = definition["Properties"]["ContainerProperties"]["Volumes"]
    assert volume["EfsVolumeConfiguration"]["FileSystemId"] == "fs-0123456789abcdef0"
    assert pipeline.shared_file_system is file_system
    assert pipeline.shared_data_access_point is not None
    assert _efs_actions(template) == ["elasticfilesystem:ClientMount"]


def test_without_shared_data_nothing_is_mounted(default_template: Template) -> None:
    assert resources(default_template, "AWS::EFS::FileSystem") == {}
    assert resources(default_template, "AWS::EFS::AccessPoint") == {}
    _, definition = only(default_template, "AWS::Batch::JobDefinition")
    container = definition["Properties"]["ContainerProperties"]
    assert "Volumes" not in container
    assert "SHARED_DATA_DIR" not in str(container.get("Environment"))


def test_a_new_file_system_has_one_mount_target_per_zone_of_the_jobs_subnets(
    dockerfile_dir: Path,
) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Stack")
    private = aws_ec2.SubnetType.PRIVATE_WITH_EGRESS
    vpc = aws_ec2.Vpc(
        stack,
        "Lab",
        max_azs=2,
        nat_gateways=1,
        subnet_configuration=[
            aws_ec2.SubnetConfiguration(name="public", subnet_type=aws_ec2.SubnetType.PUBLIC),
            aws_ec2.SubnetConfiguration(name="jobs-a", subnet_type=private),
            aws_ec2.SubnetConfiguration(name="jobs-b", subnet_type=private),
        ],
    )
    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        vpc=vpc,
        compute=ComputeOptions(subnets=aws_ec2.SubnetSelection(subnet_type=private)),
        shared_data=SharedDataOptions(),
    )
    template = Template.from_stack(stack)
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    job_subnets = environment["Properties"]["ComputeResources"]["Subnets"]
    assert len(job_subnets) == 4
    targets = resources(template, "AWS::EFS::MountTarget").values()
    target_subnets = [target["Properties"]["SubnetId"] for target in targets]
    assert len(target_subnets) == 2
    assert all(subnet in job_subnets for subnet in target_subnets)


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "writable"])
@pytest.mark.parametrize("passed", [False, True], ids=["new-file-system", "passed-file-system"])
def test_the_job_role_mounts_through_the_jobs_access_point_and_a_mount_target_only(
    dockerfile_dir: Path, read_only: bool, passed: bool
) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        vpc=aws_ec2.Vpc(stack, "Lab", max_azs=2) if passed else None,
        shared_data=SharedDataOptions(
            file_system=_passed_file_system(stack) if passed else None,
            path="/scratch",
            read_only=read_only,
        ),
    )
    template = Template.from_stack(stack)

    [efs] = [
        statement
        for statement in _statements(template, "PipelineComputeJobRole")
        if "elasticfilesystem:ClientMount" in str(statement["Action"])
    ]
    access_point_id, _ = only(template, "AWS::EFS::AccessPoint")
    assert efs["Condition"]["Bool"] == {"elasticfilesystem:AccessedViaMountTarget": "true"}
    (access_point_arn,) = efs["Condition"]["StringEquals"].values()
    assert list(efs["Condition"]["StringEquals"]) == ["elasticfilesystem:AccessPointArn"]
    assert {"Ref": access_point_id} in access_point_arn["Fn::Join"][1]
    assert ":access-point/" in str(access_point_arn)
    if passed:
        assert ":file-system/fs-0123456789abcdef0" in str(efs["Resource"])
    else:
        file_system_id, _ = only(template, "AWS::EFS::FileSystem")
        assert efs["Resource"] == {"Fn::GetAtt": [file_system_id, "Arn"]}
    assert _efs_actions(template) == sorted(
        ["elasticfilesystem:ClientMount"] + ([] if read_only else ["elasticfilesystem:ClientWrite"])
    )
