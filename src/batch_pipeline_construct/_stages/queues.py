"""SQS queues with the pipeline's secure defaults."""

from __future__ import annotations

from aws_cdk import Duration, aws_sqs
from constructs import Construct

DEAD_LETTER_RETENTION = Duration.days(14)
"""How long dead letters are kept: long enough for an operator to act on them."""
VISIBILITY_TIMEOUT_FACTOR = 6
"""A function's queue hides a received message this many times the function's timeout: SQS
needs the visibility timeout to outlast the function's runs, and AWS recommends six times."""


def visibility_timeout_for(function_timeout: Duration) -> Duration:
    """The visibility timeout of the queue that feeds a function with ``function_timeout``."""
    return Duration.seconds(function_timeout.to_seconds() * VISIBILITY_TIMEOUT_FACTOR)


def secure_queue(scope: Construct, construct_id: str, **props: object) -> aws_sqs.Queue:
    """An SQS queue that is encrypted (SQS-managed keys) and accepts TLS only."""
    return aws_sqs.Queue(
        scope,
        construct_id,
        encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        **props,  # type: ignore[arg-type]
    )
