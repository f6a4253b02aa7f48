"""Fixtures: moto without Docker and fresh clients in every test, and a whole pipeline in moto
(buckets, queues, idempotency table, Batch job queue and job definition)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.settings import PARTITION_KEY, TTL_ATTRIBUTE
from tests.runtime.runtime_pipeline import INPUT_BUCKET, JOB_DEFINITION, OUTPUT_BUCKET, Pipeline


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, moto without Docker, and fresh cached clients in every test."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    clients.reset()
    with mock_aws(config={"batch": {"use_docker": False}, "lambda": {"use_docker": False}}):
        yield
    clients.reset()


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    """The pipeline's resources, and its settings in the environment (per-file, deduplicated)."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=INPUT_BUCKET)
    s3.create_bucket(Bucket=OUTPUT_BUCKET)
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="arrival-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName="arrival",
        Attributes={
            "VisibilityTimeout": "60",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
    )["QueueUrl"]
    boto3.client("dynamodb").create_table(
        TableName="submissions",
        KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("dynamodb").update_time_to_live(
        TableName="submissions",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    role = boto3.client("iam").create_role(RoleName="batch", AssumeRolePolicyDocument="{}")
    batch = boto3.client("batch")
    environment_arn = batch.create_compute_environment(
        computeEnvironmentName="pipeline-ce",
        type="UNMANAGED",
        state="ENABLED",
        serviceRole=role["Role"]["Arn"],
    )["computeEnvironmentArn"]
    queue_arn = batch.create_job_queue(
        jobQueueName="pipeline-queue",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment_arn}],
    )["jobQueueArn"]
    for _ in range(2):  # two revisions: jobs must name the definition, not a revision
        batch.register_job_definition(
            jobDefinitionName=JOB_DEFINITION,
            type="container",
            containerProperties={"image": "pipeline-job:latest", "vcpus": 1, "memory": 512},
        )
    result = Pipeline(queue_arn, queue_url, dlq_url, "submissions", monkeypatch)
    result.configure(
        **{
            settings.JOB_QUEUE_ARN: queue_arn,
            settings.JOB_DEFINITION_NAME: JOB_DEFINITION,
            settings.INPUT_BUCKET: INPUT_BUCKET,
            settings.OUTPUT_BUCKET: OUTPUT_BUCKET,
            settings.OUTPUT_ROOT_PREFIX: "results/",
            settings.FILE_RECORDS_TABLE: "submissions",
            settings.DEAD_LETTER_QUEUE_URL: dlq_url,
            settings.ARRIVAL_QUEUE_URL: queue_url,
        }
    )
    return result


@pytest.fixture
def bulk(pipeline: Pipeline) -> Pipeline:
    """The pipeline in bulk mode: array jobs of up to 100 files, manifests in the output bucket."""
    pipeline.configure(
        **{
            settings.BULK_MODE: "true",
            settings.BULK_MAX_FILES: "100",
            settings.MANIFEST_PREFIX: "_manifests/",
        }
    )
    return pipeline
