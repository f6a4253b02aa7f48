"""Helpers of the record tests: the file-records table in moto, and items as the writers leave them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime.records import schema
from batch_pipeline_construct.runtime.records.config import RecordSettings
from batch_pipeline_construct.runtime.records.query import RecordsTable

RECORDS_TABLE = "file-records"


def create_records_table(name: str = RECORDS_TABLE) -> RecordsTable:
    """The file-records table as the construct creates it: key, TTL and both indexes."""
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": schema.PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": schema.PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": schema.RUN_ID, "AttributeType": "S"},
            {"AttributeName": schema.JOB_ID, "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": schema.RUN_INDEX,
                "KeySchema": [{"AttributeName": schema.RUN_ID, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": schema.JOB_INDEX,
                "KeySchema": [{"AttributeName": schema.JOB_ID, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE},
    )
    return RecordsTable(client, name)


def put_run_item(table: RecordsTable, run_id: str, numbers: Mapping[str, float]) -> None:
    """Run ``run_id``'s item with ``numbers`` (by their ``schema`` names: ``RUN_FILES``, ...),
    as the record function keeps it."""
    table.client.put_item(
        TableName=table.name,
        Item={
            schema.PARTITION_KEY: {"S": schema.run_key(run_id)},
            **{name: {"N": str(value)} for name, value in numbers.items()},
        },
    )


def put_claim(
    table: RecordsTable,
    key: str,
    *,
    bucket: str = "pipeline-input",
    version_id: str = "v1",
    submitted_job: str | None = None,
    received_at: float | None = None,
) -> str:
    """A record as the arrival function leaves it: claimed, and submitted when ``submitted_job``."""
    partition_key = schema.record_key(bucket, key, version_id=version_id)
    assert partition_key is not None
    item: dict[str, Any] = {
        schema.PARTITION_KEY: {"S": partition_key},
        schema.CLAIM_STATUS: {"S": schema.CLAIM_PENDING},
        schema.CLAIM_TOKEN: {"S": "token"},
        schema.LEASE_UNTIL: {"N": "0"},
        schema.TTL_ATTRIBUTE: {"N": str(10**10)},
        schema.BUCKET: {"S": bucket},
        schema.OBJECT_KEY: {"S": key},
    }
    if received_at is not None:
        item[schema.RECEIVED_AT] = {"N": str(received_at)}
    if submitted_job is not None:
        item[schema.CLAIM_STATUS] = {"S": schema.CLAIM_SUBMITTED}
        item[schema.JOB_ID] = {"S": submitted_job}
        item[schema.JOB_NAME] = {"S": f"file-{key}"}
    table.client.put_item(TableName=table.name, Item=item)
    return partition_key


JOB_QUEUE_ARN = "arn:aws:batch:us-east-1:123456789012:job-queue/pipeline-queue"
JOB_LOG_GROUP = "/aws/batch/job"


def batch_event(
    job_id: str,
    status: str,
    *,
    time: str,
    job_name: str = "file-report-csv-3f2a9c1d0b",
    parameters: dict[str, str] | None = None,
    array_index: int | None = None,
    array_size: int | None = None,
    attempts: list[dict[str, Any]] | None = None,
    status_reason: str | None = None,
    created_at_ms: int = 1_641_944_200_058,
) -> dict[str, Any]:
    """A ``Batch Job State Change`` event as EventBridge delivers it (AWS Batch user guide,
    "Job state change events"); ``detail`` is the job as DescribeJobs returns it."""
    last = (attempts or [{}])[-1]
    container: dict[str, Any] = {
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/pipeline:latest",
        "command": [],
        "volumes": [],
        "environment": [],
        "mountPoints": [],
        "ulimits": [],
        "networkInterfaces": [],
        "resourceRequirements": [
            {"value": "1", "type": "VCPU"},
            {"value": "2048", "type": "MEMORY"},
        ],
        "secrets": [],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": JOB_LOG_GROUP},
            "secretOptions": [],
        },
    }
    container.update(
        {
            name: value
            for name, value in (last.get("container") or {}).items()
            if name in ("exitCode", "logStreamName", "taskArn", "reason")
        }
    )
    detail: dict[str, Any] = {
        "jobArn": f"arn:aws:batch:us-east-1:123456789012:job/{job_id}",
        "jobName": job_name,
        "jobId": job_id,
        "jobQueue": JOB_QUEUE_ARN,
        "status": status,
        "attempts": attempts or [],
        "createdAt": created_at_ms,
        "retryStrategy": {"attempts": 3, "evaluateOnExit": []},
        "dependsOn": [],
        "jobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/pipeline-job:2",
        "parameters": parameters or {},
        "container": container,
        "tags": {},
        "propagateTags": False,
        "platformCapabilities": ["FARGATE"],
        "eksAttempts": [],
    }
    if status_reason is not None:
        detail["statusReason"] = status_reason
    if status in ("RUNNING", "SUCCEEDED", "FAILED") and attempts:
        detail["startedAt"] = last.get("startedAt", created_at_ms + 30_000)
    if status in ("SUCCEEDED", "FAILED") and attempts:
        detail["stoppedAt"] = last.get("stoppedAt", created_at_ms + 90_000)
    if array_index is not None:
        detail["arrayProperties"] = {"index": array_index}
    if array_size is not None:
        detail["arrayProperties"] = {
            "size": array_size,
            "statusSummary": {"RUNNABLE": array_size},
        }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Batch Job State Change",
        "source": "aws.batch",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": [detail["jobArn"]],
        "detail": detail,
    }


def attempt(
    exit_code: int, *, log_stream: str, reason: str = "Essential container in task exited"
) -> dict[str, Any]:
    """One entry of a job's ``attempts``: the container's exit code and log stream."""
    return {
        "container": {
            "containerInstanceArn": "",
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/pipeline/0f9c",
            "exitCode": exit_code,
            "logStreamName": log_stream,
            "networkInterfaces": [],
        },
        "startedAt": 1_641_944_230_058,
        "stoppedAt": 1_641_944_290_058,
        "statusReason": reason,
    }


def file_parameters(
    key: str, *, version_id: str = "v1", bucket: str = "pipeline-input"
) -> dict[str, str]:
    """A per-file job's parameters (the job contract's)."""
    return {
        "inputBucket": bucket,
        "inputKey": key,
        "inputUri": f"s3://{bucket}/{key}",
        "outputUri": f"s3://pipeline-output/results/{key}/",
        "versionId": version_id,
    }


def put_submitted_claims(table: RecordsTable, keys: list[str]) -> None:
    """Records as the arrival function leaves them once Batch accepted each file's job
    (``job-<index>``) for version ``v1`` of each key, 25 a request."""
    for start in range(0, len(keys), 25):
        table.client.batch_write_item(
            RequestItems={
                table.name: [
                    {
                        "PutRequest": {
                            "Item": {
                                schema.PARTITION_KEY: {"S": f"pipeline-input/{key}#version=v1"},
                                schema.CLAIM_STATUS: {"S": schema.CLAIM_SUBMITTED},
                                schema.CLAIM_TOKEN: {"S": "token"},
                                schema.BUCKET: {"S": "pipeline-input"},
                                schema.OBJECT_KEY: {"S": key},
                                schema.VERSION_ID: {"S": "v1"},
                                schema.JOB_ID: {"S": f"job-{index}"},
                            }
                        }
                    }
                    for index, key in enumerate(keys[start : start + 25], start)
                ]
            }
        )


def final_event(index: int, key: str, failing: Collection[int]) -> dict[str, Any]:
    """The final event of file ``index``'s job ``job-<index>``: FAILED with exit code 3 when
    ``index`` is in ``failing``, else SUCCEEDED."""
    failed = index in failing
    return batch_event(
        f"job-{index}",
        "FAILED" if failed else "SUCCEEDED",
        time="2026-11-24T22:10:00Z",
        parameters=file_parameters(key),
        attempts=[attempt(3 if failed else 0, log_stream=f"pipeline/default/{index}")],
        status_reason="Essential container in task exited" if failed else None,
    )


def sqs_batch(*bodies: Any) -> dict[str, Any]:
    """The SQS event the record function receives: one record per body (events as JSON)."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:records",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


OUTPUT_BUCKET = "pipeline-output"


@dataclass
class RecordsPipeline:
    """The record function's resources in moto and its settings in the environment."""

    table: RecordsTable
    queue_url: str
    topic_arn: str
    summaries_url: str
    """A queue subscribed to the completion topic (raw delivery): what subscribers receive."""

    def published(self) -> list[dict[str, Any]]:
        """Every message published to the completion topic so far (drained)."""
        sqs = boto3.client("sqs")
        messages: list[dict[str, Any]] = []
        while batch := sqs.receive_message(
            QueueUrl=self.summaries_url, MaxNumberOfMessages=10, VisibilityTimeout=600
        ).get("Messages", []):
            messages += [dict(json.loads(message["Body"])) for message in batch]
        return messages

    def queued(self) -> list[dict[str, Any]]:
        """Messages in the record function's own queue, with their delay (drained)."""
        sqs = boto3.client("sqs")
        found: list[dict[str, Any]] = []
        while batch := sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600
        ).get("Messages", []):
            found += [dict(message) for message in batch]
        return found


def records_pipeline(
    monkeypatch: pytest.MonkeyPatch, *, quiet_seconds: int = 300
) -> RecordsPipeline:
    """Create the table, output bucket, topic and queue, and configure the record function."""
    table = create_records_table()
    boto3.client("s3").create_bucket(Bucket=OUTPUT_BUCKET)
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="records")["QueueUrl"]
    summaries_url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    summaries_arn = sqs.get_queue_attributes(QueueUrl=summaries_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns = boto3.client("sns")
    topic_arn = sns.create_topic(Name="completion")["TopicArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=summaries_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    settings = RecordSettings(
        table=table.name,
        output_bucket=OUTPUT_BUCKET,
        completion_topic_arn=topic_arn,
        output_root_prefix="results/",
        queue_url=queue_url,
        quiet_seconds=quiet_seconds,
        job_log_group=JOB_LOG_GROUP,
    )
    for name, value in settings.to_environ().items():
        monkeypatch.setenv(name, value)
    return RecordsPipeline(table, queue_url, topic_arn, summaries_url)
