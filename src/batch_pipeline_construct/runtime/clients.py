"""The boto3 clients, created on first use and reused by every later invocation.

boto3 is imported here, inside the functions, because importing it takes a few hundred
milliseconds that a cold start should only pay when a client is really needed.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


CONCURRENT_CALLS = 32
"""AWS calls one bulk invocation makes side by side (idempotency table, top-up); the DynamoDB and
SQS clients keep a connection for each (botocore keeps 10 by default)."""


@cache
def batch() -> BatchClient:
    """The Batch client; botocore does not retry, :mod:`.submission` does."""
    import boto3
    from botocore.config import Config

    return boto3.client("batch", config=Config(retries={"max_attempts": 1, "mode": "standard"}))


@cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client (idempotency table)."""
    import boto3
    from botocore.config import Config

    return boto3.client("dynamodb", config=Config(max_pool_connections=CONCURRENT_CALLS))


@cache
def s3() -> S3Client:
    """The S3 client (manifests, listing and reading objects)."""
    import boto3

    return boto3.client("s3")


@cache
def sqs() -> SQSClient:
    """The SQS client (dead-letter queue, bulk top-up)."""
    import boto3
    from botocore.config import Config

    return boto3.client("sqs", config=Config(max_pool_connections=CONCURRENT_CALLS))


@cache
def sns() -> SNSClient:
    """The SNS client (run summaries on the completion topic)."""
    import boto3

    return boto3.client("sns")


@cache
def lambda_() -> LambdaClient:
    """The Lambda client (the operator CLI reads the arrival function's settings)."""
    import boto3

    return boto3.client("lambda")


def reset() -> None:
    """Forget every client, so the next use creates a new one (for tests and credential changes)."""
    for factory in (batch, dynamodb, s3, sqs, sns, lambda_):
        factory.cache_clear()
