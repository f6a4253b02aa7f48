"""Lambda's SQS event source on simulated time: receive a batch, invoke the handler, delete what
it did not report as failed, and deliver the rest again once their visibility timeout passes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from .clock import SimulatedClock, SimulatedContext
from .faults import AwsFaults, Crash

SQS_MAX_VISIBILITY_SECONDS = 43_200
"""SQS's longest visibility timeout (12 hours)."""

Handler = Callable[[Mapping[str, Any], SimulatedContext], Mapping[str, Any]]
"""The arrival handler with the simulated clock bound (``event, context -> response``)."""


@dataclass(frozen=True)
class Invoke:
    """One invocation the event source made."""

    messages: int
    """Records in its event."""
    failed: int
    """Records it reported as failed (all of them when it died)."""
    crashed: bool
    """It died (:class:`Crash`) before returning."""
    overran: bool
    """It returned after Lambda's timeout (Lambda would have killed it: its verdict is void)."""


class EventSource:
    """Drains ``queue_url`` into ``handler``, one invocation at a time, on ``clock``.

    ``visibility_timeout`` is the queue's: a message that failed or whose invocation died is
    delivered again after it. moto keeps visibility on real time, so the source sets the moto
    queue's own timeout to SQS's longest (a received message never reappears by itself, however
    long a run takes on a busy machine) and makes such messages visible itself when the
    simulated time says they would be.
    """

    def __init__(
        self,
        queue_url: str,
        handler: Handler,
        *,
        clock: SimulatedClock,
        faults: AwsFaults | None = None,
        batch_size: int = 10,
        function_timeout: float = 60.0,
        visibility_timeout: float = 360.0,
        first_time_left: float | None = None,
    ) -> None:
        self.queue_url = queue_url
        self.handler = handler
        self.clock = clock
        self.faults = faults
        self.batch_size = batch_size
        self.function_timeout = function_timeout
        self.visibility_timeout = visibility_timeout
        self.first_time_left = first_time_left
        """Time left when the first invocation starts (a late start), if not the timeout."""
        self.invocations: list[Invoke] = []
        """Every invocation made."""
        self._sqs = boto3.client("sqs")  # Lambda's poller, not the function: no faults
        # moto's default of 30 real seconds let a failed message back before its simulated
        # timeout, while its claim was still leased: "in-progress" receives, then dead letters
        self._sqs.set_queue_attributes(
            QueueUrl=queue_url,
            Attributes={"VisibilityTimeout": str(SQS_MAX_VISIBILITY_SECONDS)},
        )

    def run(self, *, max_invocations: int = 200) -> list[Invoke]:
        """Invoke until the queue is empty (nothing visible or in flight) or the cap is hit."""
        while len(self.invocations) < max_invocations:
            records = self._receive()
            if not records:
                if not self._redeliver():
                    break
                continue
            self.invocations.append(self.invoke(records))
        return self.invocations

    def invoke(self, records: list[dict[str, Any]]) -> Invoke:
        """Invoke the handler once with ``records`` and settle them as Lambda would."""
        if self.faults is not None:
            self.faults.revive()
        late = self.first_time_left if not self.invocations else None
        context = SimulatedContext(self.clock, late or self.function_timeout)
        try:
            response = self.handler({"Records": records}, context)
        except Crash:
            return Invoke(len(records), len(records), crashed=True, overran=False)
        if self.clock.monotonic() > context.deadline:
            return Invoke(len(records), len(records), crashed=False, overran=True)
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                    for i, r in enumerate(done[start : start + 10])
                ],
            )
        return Invoke(len(records), len(failed), crashed=False, overran=False)

    def _receive(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        while len(records) < self.batch_size:
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.batch_size - len(records)),
                AttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            records += [_record(message) for message in messages]
        return records

    def _redeliver(self) -> bool:
        """Let the visibility timeout pass; False when no message was in flight."""
        name = self.queue_url.rsplit("/", 1)[-1]
        queue = sqs_backends[DEFAULT_ACCOUNT_ID][self._sqs.meta.region_name].queues[name]
        hidden = [message for message in queue._messages if not message.visible]
        if not hidden:
            return False
        self.clock.advance(self.visibility_timeout)
        for message in hidden:
            message.visible_at = 0.0
        return True


def _record(message: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:arrival",
        "awsRegion": "us-east-1",
    }
