"""Existing buckets, VPC and topic are used as given; pipelines can share one VPC."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2, aws_s3
from aws_cdk.assertions import Template

from batch_pipeline_construct import BatchFilePipeline, BucketOptions
from tests.support.pipeline_builders import resources


def test_existing_buckets_are_used_and_not_created(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    raw = aws_s3.Bucket.from_bucket_name(stack, "Raw", "lab-raw")
    results = aws_s3.Bucket.from_bucket_name(stack, "Results", "lab-results")
    pipeline = BatchFilePipeline(
        stack,
        "Pipeline",
        dockerfile_path=str(dockerfile_dir),
        input_bucket=raw,
        output_bucket=results,
    )
    template = Template.from_stack(stack)
    assert pipeline.input_bucket is raw and pipeline.output_bucket is results
    assert resources(template, "AWS::S3::Bucket") == {}
    (notification,) = resources(template, "Custom::S3BucketNotifications").values()
    assert notification["Properties"]["BucketName"] == "lab-raw"
    assert (
        notification["Properties"]["Managed"] is False
    )  # the bucket's other notifications are kept
    assert "lab-results/*" in str(template.to_json())


def test_pipelines_share_a_vpc(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    vpc = aws_ec2.Vpc(stack, "Shared", max_azs=2, nat_gateways=0)
    pipelines = [
        BatchFilePipeline(stack, f"Pipeline{i}", dockerfile_path=str(dockerfile_dir), vpc=vpc)
        for i in range(3)
    ]
    template = Template.from_stack(stack)
    assert all(p.vpc is vpc for p in pipelines)
    assert len(resources(template, "AWS::EC2::VPC")) == 1
    assert len(resources(template, "AWS::Batch::JobQueue")) == 3
    # The shared VPC lives in a network stack of its own (docs/performance.md); what counts
    # against a stack's 500 resources is the pipelines and the stack's shared helpers. With the
    # per-file record's function (8 resources) a pipeline is about 50 resources.
    total = len([name for name in template.to_json()["Resources"] if not name.startswith("Shared")])
    assert total < 500 // 9 * 3, (
        f"{total} resources for three pipelines: nine would not fit a stack"
    )


def test_private_subnets_of_a_given_vpc_get_no_public_ip(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    vpc = aws_ec2.Vpc(stack, "WithNat", max_azs=2, nat_gateways=1)
    BatchFilePipeline(stack, "Pipeline", dockerfile_path=str(dockerfile_dir), vpc=vpc)
    template = Template.from_stack(stack)
    (definition,) = resources(template, "AWS::Batch::JobDefinition").values()
    network = definition["Properties"]["ContainerProperties"].get("NetworkConfiguration", {})
    assert network.get("AssignPublicIp", "DISABLED") == "DISABLED"
    (environment,) = resources(template, "AWS::Batch::ComputeEnvironment").values()
    subnets = {s["Ref"] for s in environment["Properties"]["ComputeResources"]["Subnets"]}
    assert all("Private" in s for s in subnets)


def test_pipelines_sharing_a_log_bucket_log_under_their_own_prefixes(dockerfile_dir: Path) -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    logs = aws_s3.Bucket(stack, "Logs")
    for name in ("A", "B"):
        BatchFilePipeline(
            stack,
            name,
            dockerfile_path=str(dockerfile_dir),
            bucket_options=BucketOptions(access_logs_bucket=logs),
        )
    template = Template.from_stack(stack)
    prefixes = [
        b["Properties"]["LoggingConfiguration"]["LogFilePrefix"]
        for b in resources(template, "AWS::S3::Bucket").values()
        if "LoggingConfiguration" in b["Properties"]
    ]
    assert len(prefixes) == 4
    assert len(set(prefixes)) == 4
