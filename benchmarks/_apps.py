"""CDK apps the benchmarks synthesize, each run in a fresh interpreter as a CDK app is.

``python -m benchmarks._apps scale N``
    N pipelines sharing one VPC (a network stack), at most ``PIPELINES_PER_STACK`` per stack.
``python -m benchmarks._apps variants``
    the idle-cost variants: default, KMS keys, a VPC with NAT gateways, EC2 with warm vCPUs, bulk.

``CDK_OUTDIR`` chooses where the assembly goes, as with ``cdk synth``. The app prints one JSON
line with its phase timings (import, construct, synth) so a parent process can report them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

_START = time.perf_counter()

import aws_cdk as cdk  # noqa: E402 - timed: jsii starts here
from aws_cdk import aws_ec2, aws_kms  # noqa: E402

from batch_pipeline_construct import (  # noqa: E402
    BatchFilePipeline,
    BucketOptions,
    BulkOptions,
    ComputeOptions,
    ComputeType,
    NotificationOptions,
)

_IMPORTED = time.perf_counter()

ROOT = Path(__file__).resolve().parent.parent
CONTAINER = str(ROOT / "examples" / "minimal" / "container")
PIPELINES_PER_STACK = 10
"""A pipeline without its own VPC is ~37 resources; CloudFormation allows 500 per stack."""


def scale_app(app: cdk.App, pipelines: int) -> None:
    """``pipelines`` pipelines in stacks of ``PIPELINES_PER_STACK``, sharing one VPC."""
    network = cdk.Stack(app, "SharedNetwork")
    vpc = aws_ec2.Vpc(
        network,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            aws_ec2.SubnetConfiguration(name="jobs", subnet_type=aws_ec2.SubnetType.PUBLIC)
        ],
    )
    for first in range(0, pipelines, PIPELINES_PER_STACK):
        stack = cdk.Stack(app, f"Pipelines{first // PIPELINES_PER_STACK:02d}")
        for index in range(first, min(pipelines, first + PIPELINES_PER_STACK)):
            BatchFilePipeline(stack, f"Pipeline{index:03d}", dockerfile_path=CONTAINER, vpc=vpc)


def variants_app(app: cdk.App) -> None:
    """One stack per configuration whose idle cost differs."""
    BatchFilePipeline(cdk.Stack(app, "Default"), "Pipeline", dockerfile_path=CONTAINER)

    kms = cdk.Stack(app, "KmsKeys")
    bucket_key = aws_kms.Key(kms, "BucketKey", enable_key_rotation=True)
    topic_key = aws_kms.Key(kms, "TopicKey", enable_key_rotation=True)
    BatchFilePipeline(
        kms,
        "Pipeline",
        dockerfile_path=CONTAINER,
        bucket_options=BucketOptions(encryption_key=bucket_key),
        notifications=NotificationOptions(topic_encryption_key=topic_key),
    )

    nat = cdk.Stack(app, "NatVpc")
    vpc = aws_ec2.Vpc(nat, "Vpc", max_azs=2, nat_gateways=2)
    vpc.add_interface_endpoint("Ecr", service=aws_ec2.InterfaceVpcEndpointAwsService.ECR)
    vpc.add_interface_endpoint(
        "EcrDocker", service=aws_ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER
    )
    vpc.add_interface_endpoint(
        "Logs", service=aws_ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS
    )
    BatchFilePipeline(nat, "Pipeline", dockerfile_path=CONTAINER, vpc=vpc)

    BatchFilePipeline(
        cdk.Stack(app, "Ec2"),
        "Pipeline",
        dockerfile_path=CONTAINER,
        compute=ComputeOptions(type=ComputeType.EC2),
    )
    BatchFilePipeline(
        cdk.Stack(app, "Bulk"), "Pipeline", dockerfile_path=CONTAINER, mode=BulkOptions()
    )


def main(argv: list[str]) -> None:
    app = cdk.App()
    if argv[0] == "scale":
        scale_app(app, int(argv[1]))
    elif argv[0] == "variants":
        variants_app(app)
    else:
        raise SystemExit(f"unknown app {argv[0]!r}: use 'scale N' or 'variants'")
    constructed = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "import_seconds": _IMPORTED - _START,
                "construct_seconds": constructed - _IMPORTED,
                "synth_seconds": done - constructed,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
