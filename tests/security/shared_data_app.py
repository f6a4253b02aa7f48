"""An app checked like the examples: pipelines with every disk and shared data option, on Fargate
(a new file system, read-only) and on EC2 (a file system of the stack's own, writable)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Size, aws_ec2, aws_efs

from batch_pipeline_construct import (
    BatchFilePipeline,
    ComputeOptions,
    ComputeType,
    JobOptions,
    SharedDataOptions,
)
from tests.examples.example_apps import EXAMPLES_DIR

CONTAINER = EXAMPLES_DIR / "minimal" / "container"


def build_app(outdir: str) -> cdk.App:
    """One stack per compute type, each pipeline mounting shared data."""
    app = cdk.App(outdir=outdir)
    fargate = cdk.Stack(app, "SharedDataFargate")
    BatchFilePipeline(
        fargate,
        "Pipeline",
        dockerfile_path=CONTAINER,
        job=JobOptions(ephemeral_storage=Size.gibibytes(100)),
        shared_data=SharedDataOptions(),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    ec2 = cdk.Stack(app, "SharedDataEc2")
    vpc = aws_ec2.Vpc(
        ec2,
        "Lab",
        max_azs=2,
        flow_logs={"FlowLogs": aws_ec2.FlowLogOptions()},
    )
    scratch = aws_efs.FileSystem(
        ec2,
        "Scratch",
        vpc=vpc,
        encrypted=True,
        throughput_mode=aws_efs.ThroughputMode.ELASTIC,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    BatchFilePipeline(
        ec2,
        "Pipeline",
        dockerfile_path=CONTAINER,
        vpc=vpc,
        compute=ComputeOptions(type=ComputeType.EC2, root_volume_size=Size.gibibytes(200)),
        shared_data=SharedDataOptions(file_system=scratch, path="/scratch", read_only=False),
    )
    return app
