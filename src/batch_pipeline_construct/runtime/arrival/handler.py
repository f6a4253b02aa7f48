"""The arrival function: one Batch job per file that lands in the input bucket.

The function (handler ``runtime.arrival.handler.handler``) is fed by the arrival queue with
``ReportBatchItemFailures``; each message is an S3 event notification. For every created object
it claims the object version (:mod:`.idempotency`), submits a job (:mod:`.submission`) whose
environment is the job contract (:mod:`.contract`), and records the job, writing one JSON log
line per file. In bulk mode (:mod:`.bulk`) it submits one array job for many files instead.

A message is acknowledged only when every file in it has a job (submitted now or before). The
others are returned as batch item failures: SQS delivers them again, and after the queue's
maximum receive count moves them to the dead-letter queue. A malformed message (not JSON, not an
S3 event, another bucket) is sent to the dead-letter queue at once, with the reason in its
message attributes (:mod:`.dead_letter`), and acknowledged.
"""

from __future__ import annotations

import os
import random as _random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .. import clients
from ..logs import log
from ..settings import SUBMIT_MAX_ATTEMPTS, ArrivalSettings
from .bulk import run_bulk
from .invocation import CALL_MARGIN_SECONDS, Invocation

if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # Lambda's INIT phase: creating the clients here keeps ~0.5 s of CPU out of the first file.
    clients.prepare()


def record_seconds() -> float:
    """Time a record needs at worst (claim, SubmitJob); none starts with less left."""
    return (
        clients.worst_case_seconds(clients.dynamodb())
        + clients.worst_case_seconds(clients.batch())
        + CALL_MARGIN_SECONDS
    )


class LambdaContext(Protocol):
    """The part of the Lambda context object the handler uses."""

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out."""
        ...


def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    """The Lambda entry point: process an SQS batch and report the messages that failed."""
    return handle(event, context)


def handle(
    event: Mapping[str, Any],
    context: LambdaContext,
    *,
    sleep: Callable[[float], None] = time.sleep,
    random: Callable[[], float] = _random.random,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    submit_max_attempts: int = SUBMIT_MAX_ATTEMPTS,
) -> dict[str, list[dict[str, str]]]:
    """:func:`handler`, with the retry loop's sleep, randomness, clocks and budget replaceable."""
    settings = ArrivalSettings.from_environ()
    invocation = Invocation(
        settings,
        context.get_remaining_time_in_millis,
        sleep=sleep,
        random=random,
        clock=clock,
        wall_clock=wall_clock,
        submit_max_attempts=submit_max_attempts,
    )
    records: Sequence[dict[str, Any]] = event.get("Records", [])
    if settings.bulk_mode:
        try:
            failed = run_bulk(records, invocation)
        except Exception as error:  # without a verdict per record, every record is retried
            log("batch-error", level="ERROR", reason=repr(error))
            failed = [record["messageId"] for record in records]
    else:
        failed = [
            record["messageId"] for record in records if not _process_record(record, invocation)
        ]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


def _process_record(record: Mapping[str, Any], invocation: Invocation) -> bool:
    message_id: str = record["messageId"]
    if invocation.time_left() < record_seconds():
        log("deferred", message_id=message_id, reason="the invocation is about to time out")
        return False
    try:
        notification = invocation.read(record["body"], message_id)
        if notification is None:
            return True
        for ref in notification.objects:
            outcome = invocation.dispatcher.dispatch(ref)
            outcome.log(message_id=message_id)
            if not outcome.done:
                return False
        return True
    except Exception as error:  # one record's failure must not lose the others
        log("record-error", level="ERROR", message_id=message_id, reason=repr(error))
        return False
