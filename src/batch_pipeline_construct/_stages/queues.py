"""SQS queues with the pipeline's secure defaults."""

from __future__ import annotations

from aws_cdk import Duration, aws_sqs
from constructs import Construct

DEAD_LETTER_RETENTION = Duration.days(14)
"""How long dead letters are kept: long enough for an operator to act on them."""
VISIBILITY_TIMEOUT_FACTOR = 6
"""A function's queue hides a received message this many times the function's timeout: SQS
needs the visibility timeout to outlast the function's runs, and AWS recommends six times."""


def function_queue(
    scope: Construct,
    construct_id: str,
    *,
    function_timeout: Duration,
    dead_letter_queue: aws_sqs.IQueue,
    max_receive_count: int,
) -> aws_sqs.Queue:
    """The secure queue that feeds a function with ``function_timeout``: a received message is
    hidden :data:`VISIBILITY_TIMEOUT_FACTOR` times that long, kept :data:`DEAD_LETTER_RETENTION`,
    and moved to ``dead_letter_queue`` after ``max_receive_count`` receives."""
    return secure_queue(
        scope,
        construct_id,
        visibility_timeout=Duration.seconds(
            function_timeout.to_seconds() * VISIBILITY_TIMEOUT_FACTOR
        ),
        retention_period=DEAD_LETTER_RETENTION,
        dead_letter_queue=aws_sqs.DeadLetterQueue(
            queue=dead_letter_queue, max_receive_count=max_receive_count
        ),
    )


def secure_queue(scope: Construct, construct_id: str, **props: object) -> aws_sqs.Queue:
    """An SQS queue that is encrypted (SQS-managed keys) and accepts TLS only."""
    return aws_sqs.Queue(
        scope,
        construct_id,
        encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        **props,  # type: ignore[arg-type]
    )
