"""Two pipelines in an existing landscape: a looked-up VPC, existing buckets, one shared topic.

Everything named here already exists in account 123456789012 (eu-west-1); the stack only adds the
pipelines. The VPC lookup is cached in ``cdk.context.json`` so ``cdk synth`` needs no credentials;
point ``VPC_ID`` and the names at your own resources and run ``cdk synth`` with credentials once
to refresh the cache (or ``cdk context --reset`` it).

Both pipelines share the VPC and so add no networking of their own, and they share one completion
topic: a pipeline is about 60 resources, so one stack holds several well below CloudFormation's
500 resources per stack.
"""

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from batch_pipeline_construct import (
    BatchFilePipeline,
    BucketOptions,
    ComputeOptions,
    NotificationOptions,
    TriggerOptions,
)

ENVIRONMENT = cdk.Environment(account="123456789012", region="eu-west-1")
VPC_ID = "vpc-0a1b2c3d4e5f67890"
INVOICES_INBOX_BUCKET = "acme-invoices-inbox-eu-west-1"
"""Where the accounting system drops scanned invoices; the invoices pipeline reads it."""
SENSOR_EXPORTS_BUCKET = "acme-sensor-exports-eu-west-1"
"""One bucket for both directions: exports arrive under ``incoming/``, results go to ``archived/``."""
ACCESS_LOGS_BUCKET = "acme-s3-access-logs-eu-west-1"
"""The organisation's S3 server access log bucket (it must let S3 log delivery write to it)."""
NOTIFICATION_EMAIL = "data-platform@example.com"
CACHED_LOOKUPS = Path(__file__).resolve().parent / "cdk.context.json"


class ExistingResourcesStack(cdk.Stack):
    """Two BatchFilePipelines on resources that already exist (see the module documentation)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        vpc = ec2.Vpc.from_lookup(self, "Vpc", vpc_id=VPC_ID)
        # The VPC's private subnets route to the internet through its NAT gateways, so jobs pull
        # their image and write logs without public IPs.
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        access_logs = s3.Bucket.from_bucket_name(self, "AccessLogsBucket", ACCESS_LOGS_BUCKET)

        # Existing input bucket, new output bucket: the pipeline logs access to the new bucket in
        # the organisation's log bucket instead of creating a log bucket of its own.
        invoices = BatchFilePipeline(
            self,
            "Invoices",
            dockerfile_path="container",
            input_bucket=s3.Bucket.from_bucket_name(
                self, "InvoicesInboxBucket", INVOICES_INBOX_BUCKET
            ),
            bucket_options=BucketOptions(access_logs_bucket=access_logs),
            trigger=TriggerOptions(suffixes=(".pdf", ".tiff")),
            vpc=vpc,
            compute=ComputeOptions(subnets=private),
            notifications=NotificationOptions(emails=[NOTIFICATION_EMAIL]),
        )
        # An imported bucket's policy cannot be changed from this stack, so aws-cdk-lib warns that
        # it could not let S3 log delivery write to it. The organisation's log bucket grants that.
        cdk.Validations.of(invoices.output_bucket).acknowledge(
            cdk.Acknowledgment(
                id="Annotation::@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
                reason=f"{ACCESS_LOGS_BUCKET} already lets logging.s3.amazonaws.com write to it.",
            )
        )

        # One existing bucket for input and output: the trigger prefix and the output prefix keep
        # results from starting new jobs (the construct rejects a combination that would loop).
        sensor_exports = s3.Bucket.from_bucket_name(
            self, "SensorExportsBucket", SENSOR_EXPORTS_BUCKET
        )
        sensors = BatchFilePipeline(
            self,
            "SensorExports",
            dockerfile_path="container",
            input_bucket=sensor_exports,
            output_bucket=sensor_exports,
            trigger=TriggerOptions(prefix="incoming/"),
            output_prefix="archived/",
            vpc=vpc,
            compute=ComputeOptions(subnets=private),
            completion_topic=invoices.completion_topic,
        )

        cdk.CfnOutput(self, "InvoicesOutputBucket", value=invoices.output_bucket.bucket_name)
        cdk.CfnOutput(self, "InvoicesJobQueue", value=invoices.job_queue.job_queue_name)
        cdk.CfnOutput(self, "SensorExportsJobQueue", value=sensors.job_queue.job_queue_name)
        cdk.CfnOutput(self, "CompletionTopic", value=invoices.completion_topic.topic_arn)


def build_app(outdir: str | None = None) -> cdk.App:
    """The example's CDK app (tests build it in-process)."""
    # `cdk synth` passes cdk.context.json to the app itself (and it wins over this); reading it
    # here too lets `python app.py` and in-process tests synthesize without the CLI.
    app = cdk.App(outdir=outdir, context=json.loads(CACHED_LOOKUPS.read_text()))
    ExistingResourcesStack(app, "ExistingResourcesBatchPipelines", env=ENVIRONMENT)
    return app


if __name__ == "__main__":
    build_app().synth()
