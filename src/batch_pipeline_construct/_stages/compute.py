"""Where and how jobs run: VPC, compute environment, job queue, job definition and image."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import (
    RemovalPolicy,
    Size,
    aws_batch,
    aws_ec2,
    aws_ecr_assets,
    aws_ecs,
    aws_iam,
    aws_logs,
)
from constructs import Construct

from ..errors import PipelineConfigurationError
from ..options import ComputeOptions, ComputeType, JobOptions, SharedDataOptions
from ..runtime.job.contract import SHARED_DATA_DIR
from ..runtime.job.exit_codes import RETRYABLE_EXIT_CODES
from .job_image import EXCLUDED, staged_build_context
from .permissions import acknowledge, acknowledge_image_pull
from .shared_data import SharedData

ManagedComputeEnvironment = (
    aws_batch.FargateComputeEnvironment | aws_batch.ManagedEc2EcsComputeEnvironment
)
"""The compute environments a pipeline makes: Fargate, or managed EC2 for ECS."""


def resolve_dockerfile(dockerfile_path: str | os.PathLike[str]) -> tuple[Path, str]:
    """Return (build context folder, Dockerfile name) for a folder or a Dockerfile path.

    A relative path is taken relative to the current directory, where ``cdk synth`` runs the app,
    as aws-cdk-lib does for every asset path a user gives.
    """
    path = Path(dockerfile_path).expanduser().resolve()
    if path.is_dir():
        if not (path / "Dockerfile").is_file():
            raise PipelineConfigurationError(
                "dockerfile_path",
                str(dockerfile_path),
                f"the folder {path} holds no file named Dockerfile; give the Dockerfile's path or its folder",
            )
        return path, "Dockerfile"
    if path.is_file():
        return path.parent, path.name
    raise PipelineConfigurationError(
        "dockerfile_path",
        str(dockerfile_path),
        f"nothing exists at {path} (relative paths start at {Path.cwd()}); give a folder with a "
        "Dockerfile or the Dockerfile's path",
    )


FARGATE_SPOT_INTERRUPTED = "Your Spot Task was interrupted*"
"""The stopped reason of a Fargate Spot task whose capacity was reclaimed (Amazon ECS's wording)."""
MAX_RETRY_RULES = 5
"""The most ``evaluateOnExit`` rules AWS Batch accepts in a retry strategy."""
FARGATE_START_FAILED = "ResourceInitializationError*"
"""The stopped reason of a Fargate task that could not start (network, secrets or image set-up)."""


def retry_strategies(compute: ComputeOptions) -> list[aws_batch.RetryStrategy]:
    """Retry infrastructure failures, never the application's own non-zero exit.

    Batch takes the first rule that matches, allows five, and *retries* a job that matches none,
    so the infrastructure ``RETRY`` rules come first and two ``EXIT`` rules end the list: any
    reason, and any exit code (a plain non-zero exit often carries no reason). Each compute type
    gets only the rules whose failures it can have, and the job resolver's retryable exit code
    (:data:`RETRYABLE_EXIT_CODES`) is retried where the limit leaves room: ``Host EC2*`` (Spot reclaims and host
    failures) on EC2, Fargate Spot's own reclaim reason and Fargate's start errors on Fargate.
    """
    retry, exit_ = aws_batch.Action.RETRY, aws_batch.Action.EXIT
    if compute.type is ComputeType.FARGATE:
        infrastructure = [
            aws_batch.Reason.CANNOT_PULL_CONTAINER,
            aws_batch.Reason.custom(on_status_reason=FARGATE_START_FAILED),
        ]
        if compute.spot:
            spot_reclaim = aws_batch.Reason.custom(on_status_reason=FARGATE_SPOT_INTERRUPTED)
            infrastructure.insert(0, spot_reclaim)
    else:
        infrastructure = [
            aws_batch.Reason.SPOT_INSTANCE_RECLAIMED,
            aws_batch.Reason.CANNOT_PULL_CONTAINER,
        ]
    # The resolver's own "S3 did not answer" exit is retried too where Batch's five rules leave
    # room; on Fargate Spot they do not, and such a child ends FAILED (its files can be retried).
    resolver = [
        aws_batch.Reason.custom(on_exit_code=str(code))
        for code in RETRYABLE_EXIT_CODES
        if len(infrastructure) + len(RETRYABLE_EXIT_CODES) + 2 <= MAX_RETRY_RULES
    ]
    return [aws_batch.RetryStrategy.of(retry, reason) for reason in infrastructure + resolver] + [
        aws_batch.RetryStrategy.of(exit_, aws_batch.Reason.custom(on_reason="*")),
        aws_batch.RetryStrategy.of(exit_, aws_batch.Reason.custom(on_exit_code="*")),
    ]


ECS_AMI_ROOT_DEVICE = "/dev/xvda"
"""The root device of the ECS-optimized Amazon Linux AMIs (x86-64, Graviton and NVIDIA alike)."""

GRAVITON_INSTANCE_CLASSES = (
    aws_ec2.InstanceClass.C7G,
    aws_ec2.InstanceClass.M7G,
    aws_ec2.InstanceClass.R7G,
    aws_ec2.InstanceClass.C6G,
    aws_ec2.InstanceClass.M6G,
    aws_ec2.InstanceClass.R6G,
)
"""EC2 families for ``arm64`` without instance types: compute, general and memory Graviton 3 and 2.

Batch's own ``default_arm64`` class cannot stand alone (aws-cdk-lib then also wants its
``optimal`` x86 classes), and several families give Spot more pools to choose from."""


def _stuck_job_actions(job: JobOptions) -> list[aws_batch.JobStateTimeLimitAction] | None:
    """Cancel a job stuck RUNNABLE for a reason that will not pass; Batch then reports it FAILED."""
    if job.stuck_timeout is None:
        return None
    return [
        aws_batch.JobStateTimeLimitAction(
            action=aws_batch.JobStateTimeLimitActionsAction.CANCEL,
            state=aws_batch.JobStateTimeLimitActionsState.RUNNABLE,
            max_time=job.stuck_timeout,
            reason=reason,
        )
        for reason in (
            aws_batch.JobStateTimeLimitActionsReason.INSUFFICIENT_INSTANCE_CAPACITY,
            aws_batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
            aws_batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
        )
    ]


def _selected_subnets(
    vpc: aws_ec2.IVpc, selection: aws_ec2.SubnetSelection, *, one_per_az: bool | None = None
) -> aws_ec2.SelectedSubnets:
    """The subnets jobs land in (in public ones Fargate needs a public IP to reach ECR), or with
    ``one_per_az``, the first of them in each Availability Zone."""
    return vpc.select_subnets(
        availability_zones=selection.availability_zones,
        one_per_az=selection.one_per_az if one_per_az is None else one_per_az,
        subnet_filters=selection.subnet_filters,
        subnet_group_name=selection.subnet_group_name,
        subnets=selection.subnets,
        subnet_type=selection.subnet_type,
    )


def _split_instance_types(
    names: Sequence[str],
) -> tuple[list[aws_ec2.InstanceType], list[aws_ec2.InstanceClass]]:
    """Sizes (``"g5.xlarge"``) are instance types; bare families (``"g5"``) are instance classes."""
    types = [aws_ec2.InstanceType(name) for name in names if "." in name]
    classes = []
    for family in (name for name in names if "." not in name):
        try:
            classes.append(aws_ec2.InstanceClass[family.upper()])
        except KeyError:
            raise PipelineConfigurationError(
                "compute.instance_types",
                family,
                "not an EC2 instance family aws-cdk-lib knows; give a size such as 'g5.xlarge'",
            ) from None
    return types, classes


class PipelineCompute(Construct):
    """The VPC, the compute environment (scales to zero), the job queue and the job definition."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dockerfile_path: str | os.PathLike[str],
        compute: ComputeOptions,
        job: JobOptions,
        vpc: aws_ec2.IVpc | None,
        vpc_subnets: aws_ec2.SubnetSelection | None,
        log_retention: aws_logs.RetentionDays,
        removal_policy: RemovalPolicy,
        shared_data: SharedDataOptions | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        context, dockerfile = resolve_dockerfile(dockerfile_path)

        self.vpc: aws_ec2.IVpc = vpc or self._vpc(log_retention, removal_policy)
        """The VPC the jobs run in."""
        subnets = vpc_subnets or (
            aws_ec2.SubnetSelection(subnet_type=aws_ec2.SubnetType.PUBLIC)
            if vpc is None
            else aws_ec2.SubnetSelection()
        )
        selected = _selected_subnets(self.vpc, subnets)
        has_public_subnets = selected.has_public
        self.shared_data: SharedData | None = (
            None
            if shared_data is None
            else SharedData(
                self,
                "SharedData",
                options=shared_data,
                vpc=self.vpc,
                # EFS allows one mount target per Availability Zone.
                subnets=aws_ec2.SubnetSelection(
                    subnets=_selected_subnets(self.vpc, subnets, one_per_az=True).subnets
                ),
                removal_policy=removal_policy,
            )
        )
        """The shared file system and the jobs' access point (None without ``shared_data``)."""

        self.compute_environment: ManagedComputeEnvironment = self._compute_environment(
            compute, job, subnets
        )
        """The managed compute environment; it runs no instance while no job is queued."""

        self.job_queue = aws_batch.JobQueue(
            self,
            "JobQueue",
            compute_environments=[
                aws_batch.OrderedComputeEnvironment(
                    compute_environment=self.compute_environment, order=1
                )
            ],
            job_state_time_limit_actions=_stuck_job_actions(job),
        )
        """The queue the arrival function submits to."""

        self.log_group = aws_logs.LogGroup(
            self, "JobLogs", retention=log_retention, removal_policy=removal_policy
        )
        """Where the jobs' standard output and error go."""

        self.job_role = aws_iam.Role(
            self,
            "JobRole",
            assumed_by=aws_iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Role of the pipeline's job containers: read the input, write the output.",
        )
        """The role job containers run with; the pipeline grants it exactly what jobs need."""

        platform = (
            aws_ecr_assets.Platform.LINUX_ARM64
            if compute.arm64
            else aws_ecr_assets.Platform.LINUX_AMD64
        )
        self.image = aws_ecs.ContainerImage.from_asset(
            str(staged_build_context(context)),
            file=dockerfile,
            platform=platform,
            exclude=[*EXCLUDED, *(f"**/{name}" for name in EXCLUDED)],
        )
        """The container image, built by CDK from ``dockerfile_path`` (with the job resolver staged
        beside it, see :mod:`.job_image`) for the compute's CPU architecture."""

        self.job_definition = aws_batch.EcsJobDefinition(
            self,
            "JobDefinition",
            container=self._container(compute, job, has_public_subnets),
            retry_attempts=job.retry_attempts,
            retry_strategies=retry_strategies(compute),
            timeout=job.timeout,
            propagate_tags=True,
        )
        """The job definition; jobs are submitted to its latest active revision."""
        if self.shared_data is not None:
            self.shared_data.admit(self.job_role, self.compute_environment, self.job_definition)

    def _vpc(
        self, log_retention: aws_logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> aws_ec2.Vpc:
        # Public subnets and no NAT gateway: an idle pipeline costs nothing. S3 traffic takes the
        # free gateway endpoint; jobs reach ECR and CloudWatch Logs through their public IP.
        flow_logs = aws_logs.LogGroup(
            self, "VpcFlowLogs", retention=log_retention, removal_policy=removal_policy
        )
        return aws_ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                aws_ec2.SubnetConfiguration(
                    name="jobs", subnet_type=aws_ec2.SubnetType.PUBLIC, cidr_mask=20
                )
            ],
            gateway_endpoints={
                "S3": aws_ec2.GatewayVpcEndpointOptions(
                    service=aws_ec2.GatewayVpcEndpointAwsService.S3
                )
            },
            flow_logs={
                "FlowLogs": aws_ec2.FlowLogOptions(
                    destination=aws_ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                    traffic_type=aws_ec2.FlowLogTrafficType.ALL,
                )
            },
        )

    def _compute_environment(
        self, compute: ComputeOptions, job: JobOptions, subnets: aws_ec2.SubnetSelection
    ) -> ManagedComputeEnvironment:
        if compute.type is ComputeType.FARGATE:
            return aws_batch.FargateComputeEnvironment(
                self,
                "ComputeEnvironment",
                vpc=self.vpc,
                vpc_subnets=subnets,
                spot=compute.spot,
                maxv_cpus=compute.max_vcpus,
                replace_compute_environment=True,
            )
        instance_types, instance_classes = _split_instance_types(compute.instance_types)
        if not instance_types and not instance_classes and job.gpus:
            instance_classes = [aws_ec2.InstanceClass.G5]
        elif not instance_types and not instance_classes and compute.arm64:
            instance_classes = list(GRAVITON_INSTANCE_CLASSES)
        chosen = bool(instance_types or instance_classes)
        launch_template = (
            None
            if compute.root_volume_size is None
            else self._launch_template(compute.root_volume_size)
        )
        environment = aws_batch.ManagedEc2EcsComputeEnvironment(
            self,
            "ComputeEnvironment",
            vpc=self.vpc,
            vpc_subnets=subnets,
            spot=compute.spot,
            minv_cpus=0,
            maxv_cpus=compute.max_vcpus,
            instance_types=instance_types or None,
            instance_classes=instance_classes or None,
            use_optimal_instance_classes=not chosen,
            allocation_strategy=(
                aws_batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED
                if compute.spot
                else aws_batch.AllocationStrategy.BEST_FIT_PROGRESSIVE
            ),
            images=(
                # Amazon Linux 2023 with NVIDIA drivers: AL2 reaches its end of support.
                [
                    aws_batch.EcsMachineImage(
                        image_type=aws_batch.EcsMachineImageType.ECS_AL2023_NVIDIA
                    )
                ]
                if job.gpus
                else None
            ),
            launch_template=launch_template,
            replace_compute_environment=True,
        )
        if launch_template is not None:
            # aws-cdk-lib names no version, and Batch would then keep launching the template's
            # first one: name the latest, so a new root volume size reaches new instances.
            resource = environment.node.default_child
            assert isinstance(resource, aws_batch.CfnComputeEnvironment)
            resource.add_property_override(
                "ComputeResources.LaunchTemplate.Version", launch_template.latest_version_number
            )
        acknowledge(
            environment.node.find_child("InstanceProfileRole"),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonEC2ContainerServiceforEC2Role]",
            "The ECS container-instance policy AWS Batch needs on its EC2 hosts, kept current by AWS.",
        )
        return environment

    def _launch_template(self, root_volume_size: Size) -> aws_ec2.LaunchTemplate:
        """The instances' root volume (encrypted gp3 of ``root_volume_size``) and IMDSv2."""
        return aws_ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            block_devices=[
                aws_ec2.BlockDevice(
                    device_name=ECS_AMI_ROOT_DEVICE,
                    volume=aws_ec2.BlockDeviceVolume.ebs(
                        int(root_volume_size.to_gibibytes()),
                        encrypted=True,
                        delete_on_termination=True,
                        volume_type=aws_ec2.EbsDeviceVolumeType.GP3,
                    ),
                )
            ],
            require_imdsv2=True,
        )

    def _environment(self, job: JobOptions) -> dict[str, str]:
        """The user's environment, and where shared data is mounted when there is some."""
        if self.shared_data is None:
            return dict(job.environment)
        return {**job.environment, SHARED_DATA_DIR: self.shared_data.options.mount_path}

    def _container(
        self, compute: ComputeOptions, job: JobOptions, has_public_subnets: bool
    ) -> aws_batch.IEcsContainerDefinition:
        execution_role = aws_iam.Role(
            self,
            "ExecutionRole",
            assumed_by=aws_iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Lets ECS pull the job image and write the job's logs; aws-cdk-lib adds exactly those grants.",
        )
        acknowledge_image_pull(execution_role)
        common: dict[str, object] = {
            "image": self.image,
            "cpu": job.vcpus,
            "memory": job.memory,
            "command": list(job.command) if job.command is not None else None,
            "environment": self._environment(job) or None,
            "volumes": None if self.shared_data is None else [self.shared_data.volume()],
            "job_role": self.job_role,
            "execution_role": execution_role,
            "logging": aws_ecs.LogDriver.aws_logs(stream_prefix="job", log_group=self.log_group),
        }
        if compute.type is ComputeType.FARGATE:
            return aws_batch.EcsFargateContainerDefinition(
                self,
                "Container",
                assign_public_ip=has_public_subnets,
                fargate_cpu_architecture=aws_ecs.CpuArchitecture.ARM64
                if compute.arm64
                else aws_ecs.CpuArchitecture.X86_64,
                fargate_operating_system_family=aws_ecs.OperatingSystemFamily.LINUX,
                ephemeral_storage_size=job.ephemeral_storage,
                **common,  # type: ignore[arg-type]
            )
        return aws_batch.EcsEc2ContainerDefinition(
            self,
            "Container",
            gpu=job.gpus or None,
            **common,  # type: ignore[arg-type]
        )
