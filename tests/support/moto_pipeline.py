"""A pipeline's AWS resources in moto, and the arrival function's settings that point at them.

One builder for the runtime tests' ``pipeline`` fixture and ``exactly_once_figures``: the input
and output buckets, the arrival queue with its dead-letter queue, the per-file record table (TTL
on), and a Batch job queue and job definition. moto must be active already.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3

from batch_pipeline_construct.runtime import settings

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType


@dataclass(frozen=True)
class MotoPipeline:
    """The resources made, and the environment the arrival function reads them from."""

    job_queue_arn: str
    queue_url: str
    dead_letter_queue_url: str
    table: str
    environ: dict[str, str]
    """The arrival function's settings (per-file mode, deduplicated)."""


def create_moto_pipeline(
    name: str,
    *,
    input_bucket: str,
    output_bucket: str,
    table: str,
    job_definition: str,
    max_receive_count: int,
    visibility_timeout: int | None = None,
    job_definition_revisions: int = 1,
) -> MotoPipeline:
    """Create the pipeline ``name`` (its Batch resources are called ``<name>-ce``, ``<name>-queue``)."""
    s3 = boto3.client("s3")
    for bucket in (input_bucket, output_bucket):
        s3.create_bucket(Bucket=bucket)
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="arrival-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    attributes: dict[QueueAttributeNameType, str] = {
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
        )
    }
    if visibility_timeout is not None:
        attributes["VisibilityTimeout"] = str(visibility_timeout)
    queue_url = sqs.create_queue(QueueName="arrival", Attributes=attributes)["QueueUrl"]
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": settings.PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": settings.PARTITION_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": settings.TTL_ATTRIBUTE},
    )
    role = boto3.client("iam").create_role(RoleName="batch", AssumeRolePolicyDocument="{}")
    batch = boto3.client("batch")
    environment_arn = batch.create_compute_environment(
        computeEnvironmentName=f"{name}-ce",
        type="UNMANAGED",
        state="ENABLED",
        serviceRole=role["Role"]["Arn"],
    )["computeEnvironmentArn"]
    queue_arn = batch.create_job_queue(
        jobQueueName=f"{name}-queue",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment_arn}],
    )["jobQueueArn"]
    for _ in range(job_definition_revisions):
        batch.register_job_definition(
            jobDefinitionName=job_definition,
            type="container",
            containerProperties={"image": f"{job_definition}:latest", "vcpus": 1, "memory": 512},
        )
    environ = {
        settings.JOB_QUEUE_ARN: queue_arn,
        settings.JOB_DEFINITION_NAME: job_definition,
        settings.INPUT_BUCKET: input_bucket,
        settings.OUTPUT_BUCKET: output_bucket,
        settings.FILE_RECORDS_TABLE: table,
        settings.DEAD_LETTER_QUEUE_URL: dlq_url,
        settings.ARRIVAL_QUEUE_URL: queue_url,
    }
    return MotoPipeline(queue_arn, queue_url, dlq_url, table, environ)
