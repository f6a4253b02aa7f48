"""Shared data: an Amazon EFS file system every job mounts through one access point.

The access point fixes the jobs' POSIX identity and their root directory; the job role is the
IAM identity the mount presents (``use_job_role``), over TLS, and it may only mount (read-only)
or mount and write, through that access point. The compute environment's security group is let in on NFS.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, aws_batch, aws_ec2, aws_efs, aws_iam
from constructs import Construct

from ..options import SharedDataOptions

JOB_POSIX_ID = 1000
"""The POSIX user and group every job acts as on the shared file system (the access point's)."""
CREATED_DIRECTORY_MODE = "755"
"""Mode of the access point's directory when EFS creates it: the jobs' user writes, others read."""
VOLUME_NAME = "shared-data"
"""The job definition's name of the shared data volume."""
_CLIENT_MOUNT = "elasticfilesystem:ClientMount"
_CLIENT_WRITE = "elasticfilesystem:ClientWrite"


def _tls_only_policy() -> aws_iam.PolicyDocument:
    """A file system policy that refuses every client without TLS and allows nothing itself:
    clients need an IAM identity policy (the job role's grant) to mount at all."""
    return aws_iam.PolicyDocument(
        statements=[
            aws_iam.PolicyStatement(
                effect=aws_iam.Effect.DENY,
                principals=[aws_iam.AnyPrincipal()],
                actions=["*"],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            )
        ]
    )


class SharedData(Construct):
    """The file system (given, or created in the jobs' VPC) and the jobs' access point to it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: SharedDataOptions,
        vpc: aws_ec2.IVpc,
        subnets: aws_ec2.SubnetSelection,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.options = options
        self.file_system: aws_efs.IFileSystem = options.file_system or aws_efs.FileSystem(
            self,
            "FileSystem",
            vpc=vpc,
            vpc_subnets=subnets,
            encrypted=True,
            throughput_mode=aws_efs.ThroughputMode.ELASTIC,
            enable_automatic_backups=False,
            removal_policy=removal_policy,
            file_system_policy=_tls_only_policy(),
            # aws-cdk-lib's "deny anonymous access" adds an Allow of ClientWrite and
            # ClientRootAccess for every principal, which would undo read-only: the policy above
            # already leaves anonymous clients nothing, as any file system policy does.
            allow_anonymous_access=True,
        )
        """The shared file system."""
        posix = aws_efs.PosixUser(uid=str(JOB_POSIX_ID), gid=str(JOB_POSIX_ID))
        self.access_point = aws_efs.AccessPoint(
            self,
            "AccessPoint",
            file_system=self.file_system,
            path=options.path,
            posix_user=posix,
            create_acl=None
            if options.path == "/"
            else aws_efs.Acl(
                owner_uid=posix.uid, owner_gid=posix.gid, permissions=CREATED_DIRECTORY_MODE
            ),
        )
        """The access point jobs mount: the jobs' user and the directory they see."""

    def volume(self) -> aws_batch.EfsVolume:
        """The job definition's volume: the access point, over TLS, as the job role."""
        return aws_batch.EfsVolume(
            name=VOLUME_NAME,
            file_system=self.file_system,
            access_point_id=self.access_point.access_point_id,
            enable_transit_encryption=True,
            use_job_role=True,
            container_path=self.options.mount_path,
            readonly=self.options.read_only,
        )

    def admit(
        self,
        job_role: aws_iam.IRole,
        compute_environment: aws_ec2.IConnectable,
        job_definition: Construct,
    ) -> None:
        """Let the job role mount (and write, unless read-only) through a mount target and the
        jobs' access point only, and the instances reach NFS; the job definition waits for the
        mount targets."""
        # Not FileSystem.grant_read/grant_read_write: they allow any access point, or none.
        actions = [_CLIENT_MOUNT] + ([] if self.options.read_only else [_CLIENT_WRITE])
        aws_iam.Grant.add_to_principal(
            grantee=job_role,
            actions=actions,
            resource_arns=[self.file_system.file_system_arn],
            conditions={
                "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
                "StringEquals": {
                    "elasticfilesystem:AccessPointArn": self.access_point.access_point_arn
                },
            },
        )
        self.file_system.connections.allow_default_port_from(
            compute_environment, "Batch jobs mount the shared data over NFS"
        )
        job_definition.node.add_dependency(self.file_system.mount_targets_available)
