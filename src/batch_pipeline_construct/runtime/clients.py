"""The boto3 clients: created once per execution environment, with timeouts the handler can plan by.

In Lambda the arrival handler creates them at INIT (module import, see :func:`prepare`), which
runs with more CPU than an invocation and is not billed against the first file's latency; in
other processes (the operator commands, tests) a client is created on first use.

Every client has explicit connect and read timeouts and a total number of attempts, so the
longest one call can take, botocore's own retries included, is known
(:func:`worst_case_seconds`). The arrival handler starts a call only when that much of the
invocation is left, so it always decides what happens to a message before Lambda's timeout does.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


CONCURRENT_CALLS = 32
"""AWS calls one bulk invocation makes side by side (idempotency table, top-up); the DynamoDB and
SQS clients keep a connection for each (botocore keeps 10 by default)."""

CONNECT_TIMEOUT_SECONDS = 1.0
"""Connect timeout of every client (an in-region endpoint answers a connect in milliseconds)."""
READ_TIMEOUT_SECONDS = 2.0
"""Read timeout of the DynamoDB and SQS clients (their calls answer in milliseconds;
``ReceiveMessage`` is only called without long polling)."""
BATCH_READ_TIMEOUT_SECONDS = 5.0
"""Read timeout of the Batch client (SubmitJob and ListJobs answer well under a second)."""
S3_READ_TIMEOUT_SECONDS = 10.0
"""Read timeout of the S3 client (a manifest of 10,000 files is a few megabytes)."""
MAX_ATTEMPTS = 3
"""Total attempts botocore makes for one DynamoDB, SQS or S3 call (standard retry mode)."""
BATCH_MAX_ATTEMPTS = 1
"""Total attempts botocore makes for one Batch call: :mod:`.arrival.submission` decides retries,
because a SubmitJob whose answer was lost must be looked up, not sent again."""
_MAX_BACKOFF_SECONDS = 20.0  # botocore standard mode: rand(0, 1) * min(2 ** i, 20) for throttling


def config(*, read_timeout: float = READ_TIMEOUT_SECONDS, attempts: int = MAX_ATTEMPTS) -> Config:
    """The botocore configuration of the runtime's clients."""
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=read_timeout,
        retries={"total_max_attempts": attempts, "mode": "standard"},
        max_pool_connections=CONCURRENT_CALLS,
    )


def worst_case_seconds(client: Any) -> float:
    """The longest one call of ``client`` can take: every attempt timing out, plus backoff."""
    settings: Any = getattr(getattr(client, "meta", None), "config", None) or config()
    attempts = int((settings.retries or {}).get("total_max_attempts", MAX_ATTEMPTS))
    per_attempt = float(settings.connect_timeout) + float(settings.read_timeout)
    backoff = sum(min(2.0**i, _MAX_BACKOFF_SECONDS) for i in range(attempts - 1))
    return attempts * per_attempt + backoff


@cache
def batch() -> BatchClient:
    """The Batch client (one attempt per call; see :data:`BATCH_MAX_ATTEMPTS`)."""
    import boto3

    return boto3.client(
        "batch", config=config(read_timeout=BATCH_READ_TIMEOUT_SECONDS, attempts=BATCH_MAX_ATTEMPTS)
    )


@cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client (the per-file record table)."""
    import boto3

    return boto3.client("dynamodb", config=config())


@cache
def s3() -> S3Client:
    """The S3 client (manifests, listing and reading objects)."""
    import boto3

    return boto3.client("s3", config=config(read_timeout=S3_READ_TIMEOUT_SECONDS))


@cache
def sqs() -> SQSClient:
    """The SQS client (dead-letter queue, bulk top-up)."""
    import boto3

    return boto3.client("sqs", config=config())


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


def prepare() -> None:
    """Create the arrival function's clients now (the handler calls this at Lambda INIT)."""
    for factory in (batch, dynamodb, s3, sqs):
        factory()


def reset() -> None:
    """Forget every client, so the next use creates a new one (for tests and credential changes)."""
    for factory in (batch, dynamodb, s3, sqs, sns, lambda_):
        factory.cache_clear()
