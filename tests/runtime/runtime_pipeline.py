"""Helpers for the runtime tests: S3 notifications and SQS records as AWS sends them, the moto
pipeline, fault injection on real clients."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from botocore.exceptions import ClientError

from batch_pipeline_construct.runtime.arrival.dead_letter import REASON_ATTRIBUTE
from tests.support.moto_pipeline import MotoPipeline, create_moto_pipeline

INPUT_BUCKET = "pipeline-input"
OUTPUT_BUCKET = "pipeline-output"
JOB_DEFINITION = "pipeline-job"


def create_runtime_pipeline() -> MotoPipeline:
    """The runtime tests' pipeline in moto (the ``pipeline`` fixture's resources): buckets,
    queues, the record table and Batch; moto must be active."""
    return create_moto_pipeline(
        "pipeline",
        input_bucket=INPUT_BUCKET,
        output_bucket=OUTPUT_BUCKET,
        table="submissions",
        job_definition=JOB_DEFINITION,
        max_receive_count=3,
        visibility_timeout=60,
        job_definition_revisions=2,  # two revisions: jobs must name the definition, not a revision
    )


def encode_key(key: str) -> str:
    """A key as S3 writes it in an event notification (form-encoded, ``/`` kept)."""
    return quote_plus(key, safe="/")


def s3_record(
    key: str,
    *,
    bucket: str = INPUT_BUCKET,
    version_id: str | None = None,
    sequencer: str | None = None,
    event_name: str = "ObjectCreated:Put",
    size: int = 1024,
) -> dict[str, Any]:
    """One record of an S3 event notification, as S3 sends it."""
    obj: dict[str, Any] = {
        "key": encode_key(key),
        "size": size,
        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
        "sequencer": sequencer or uuid.uuid4().hex[:18].upper(),
    }
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "arrival",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def s3_body(*records: dict[str, Any]) -> str:
    """The body of an arrival-queue message: an S3 notification with ``records``."""
    return json.dumps({"Records": list(records)})


TEST_EVENT_BODY = json.dumps(
    {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-01-01T00:00:00.000Z",
        "Bucket": INPUT_BUCKET,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
)


def sqs_record(body: str, message_id: str | None = None) -> dict[str, Any]:
    """One record of the SQS event the arrival function receives."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1767225600000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1767225600001",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:arrival",
        "awsRegion": "us-east-1",
    }


def sqs_event(*bodies: str) -> dict[str, Any]:
    """An SQS event with one record per body."""
    return {"Records": [sqs_record(body) for body in bodies]}


@dataclass
class LambdaContext:
    """The Lambda context's remaining time, counting down by ``step`` at every call."""

    remaining_millis: int = 300_000
    step: int = 0

    def get_remaining_time_in_millis(self) -> int:
        remaining = self.remaining_millis
        self.remaining_millis -= self.step
        return remaining


@dataclass
class Pipeline:
    """The moto resources of one pipeline and the environment the arrival function gets."""

    job_queue_arn: str
    arrival_queue_url: str
    dead_letter_queue_url: str
    table: str
    monkeypatch: pytest.MonkeyPatch
    environ: dict[str, str] = field(default_factory=dict)

    def configure(self, **variables: str | None) -> None:
        """Set (or, with None, remove) arrival-function environment variables."""
        for name, value in variables.items():
            if value is None:
                self.environ.pop(name, None)
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.environ[name] = value
                self.monkeypatch.setenv(name, value)

    def jobs(self) -> list[dict[str, Any]]:
        """Every job submitted (array children left out), described."""
        batch = boto3.client("batch")
        summaries = batch.list_jobs(jobQueue=self.job_queue_arn)["jobSummaryList"]
        ids = [job["jobId"] for job in summaries if ":" not in job["jobId"]]
        described: list[dict[str, Any]] = []
        for start in range(0, len(ids), 100):
            described += batch.describe_jobs(jobs=ids[start : start + 100])["jobs"]
        return described

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message in the dead-letter queue (received, so invisible afterwards)."""
        return _drain(self.dead_letter_queue_url)

    def queued(self) -> list[dict[str, Any]]:
        """Every message in the arrival queue (received, so invisible afterwards)."""
        return _drain(self.arrival_queue_url)

    def send(self, body: str) -> None:
        """Send a message to the arrival queue."""
        boto3.client("sqs").send_message(QueueUrl=self.arrival_queue_url, MessageBody=body)


def _drain(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=600
    ).get("Messages", []):
        messages += batch
    return messages


def environment(job: dict[str, Any]) -> dict[str, str]:
    """A described job's container environment, as a dict."""
    return {pair["name"]: pair["value"] for pair in job["container"]["environment"]}


def reason(message: dict[str, Any]) -> str:
    """The reason attribute of a dead-lettered message."""
    return str(message["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"])


def client_error(code: str, status: int, operation: str = "SubmitJob") -> ClientError:
    """The ClientError botocore raises for an AWS error response."""
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} (injected)"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def inject(
    client: Any,
    event: str,
    fault: Callable[[dict[str, Any]], BaseException | None],
) -> list[dict[str, Any]]:
    """Before every call ``event`` on the real ``client``, raise ``fault(params)`` unless None.

    Returns the list of every call's parameters, for counting attempts.
    """
    calls: list[dict[str, Any]] = []

    def before_call(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)
        error = fault(params)
        if error is not None:
            raise error

    client.meta.events.register(f"before-parameter-build.{event}", before_call)
    return calls


def first_calls_fail(count: int, error: Callable[[], BaseException]) -> Callable[[Any], Any]:
    """A fault: the first ``count`` calls fail with ``error()``."""
    seen = [0]

    def fault(_: Any) -> BaseException | None:
        seen[0] += 1
        return error() if seen[0] <= count else None

    return fault


class FakeSleep:
    """Records the delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
