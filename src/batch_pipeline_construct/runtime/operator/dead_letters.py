"""The arrival dead-letter queue, read without consuming it: how many wait, and which files.

Only the dead-letter queue knows which files are dead-lettered: SQS moves a message there after
``maxReceiveCount`` failed receives and tells nobody, and a function subscribed to the queue
would consume the very messages ``redrive`` needs. So the per-file record keeps no
``dead-lettered`` state for them (a file dead-lettered before its job was submitted may have
no record at all); the operator commands read the queue itself, which costs nothing while idle:

* ``status`` counts its messages (one ``GetQueueAttributes`` call);
* ``failed`` lists the files in up to :data:`MAX_PEEKED` of them: each message is received once,
  hidden for :data:`PEEK_HIDE_SECONDS`, and made visible again as soon as all are read, so
  ``redrive`` and SQS's own redrive still find every one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..arrival.dead_letter import DETAIL_ATTRIBUTE, REASON_ATTRIBUTE
from ..arrival.s3_events import MalformedMessage, parse_body

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

__all__ = [
    "MAX_PEEKED",
    "NOT_SUBMITTED",
    "PEEK_HIDE_SECONDS",
    "DeadLetter",
    "make_visible",
    "peek",
    "waiting",
]

MAX_PEEKED = 100
"""Messages ``failed`` reads from the dead-letter queue at most."""
PEEK_HIDE_SECONDS = 60
"""How long a message read by ``failed`` is hidden at most (it is made visible again at once)."""
NOT_SUBMITTED = "not submitted after every receive (see the arrival function's log)"
"""The reason of a well-formed message that SQS dead-lettered."""


@dataclass(frozen=True)
class DeadLetter:
    """A file (or a malformed message) waiting in the dead-letter queue."""

    uri: str | None
    """``s3://`` URI of the file, or None for a message that names none."""
    version_id: str | None
    """The object version, when the notification names it."""
    reason: str
    """Why it is there: a malformed message's reason, or :data:`NOT_SUBMITTED`."""

    def as_dict(self) -> dict[str, Any]:
        """The dead letter for ``--json``."""
        return {"uri": self.uri, "version_id": self.version_id, "reason": self.reason}


def waiting(client: SQSClient, url: str) -> int:
    """Messages in the queue at ``url``, visible or being read (SQS's approximate counts)."""
    attributes = client.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    ).get("Attributes", {})
    return sum(int(value) for value in attributes.values())


def peek(
    client: SQSClient, url: str, input_bucket: str, *, limit: int = MAX_PEEKED
) -> list[DeadLetter]:
    """The files in up to ``limit`` messages of the queue at ``url``, which keeps them all."""
    found: list[DeadLetter] = []
    handles: list[str] = []
    try:
        while len(handles) < limit:
            messages = client.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - len(handles)),
                WaitTimeSeconds=1,  # a long poll asks every SQS server, a short one only some
                VisibilityTimeout=PEEK_HIDE_SECONDS,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                handles.append(message["ReceiptHandle"])
                found += _dead_letters(message, input_bucket)
    finally:
        make_visible(client, url, handles)
    return found


def make_visible(client: SQSClient, url: str, handles: list[str]) -> None:
    """Make the messages received with ``handles`` visible again at once."""
    for start in range(0, len(handles), 10):
        client.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for index, handle in enumerate(handles[start : start + 10])
            ],
        )


def _dead_letters(message: MessageTypeDef, input_bucket: str) -> list[DeadLetter]:
    attributes: dict[str, Any] = dict(message.get("MessageAttributes", {}))
    reason = (attributes.get(REASON_ATTRIBUTE) or {}).get("StringValue")
    if reason is not None:
        detail = (attributes.get(DETAIL_ATTRIBUTE) or {}).get("StringValue")
        return [DeadLetter(None, None, f"{reason}: {detail}" if detail else reason)]
    try:
        notification = parse_body(message.get("Body", ""), input_bucket)
    except MalformedMessage as error:
        return [DeadLetter(None, None, str(error))]
    return [
        DeadLetter(f"s3://{ref.bucket}/{ref.key}", ref.version_id, NOT_SUBMITTED)
        for ref in notification.objects
    ]
