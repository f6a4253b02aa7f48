"""``batch-pipeline redrive``: move dead-lettered messages back to the arrival queue.

SQS's own redrive (``StartMessageMoveTask``) moves every message, but a message dead-lettered as
malformed (it carries the ``bpc-reason`` attribute, see :mod:`..arrival.dead_letter`) would only
come straight back, and its reason would be lost from sight. So this command moves messages
itself and leaves the malformed ones where an operator can read why.

The loop is finite by construction: every message received is hidden for the rest of the run
(its visibility timeout outlasts the time limit), so no message is received twice; the loop
stops at the first empty long poll, after ``--max`` messages, or at the time limit, whichever
comes first. Messages kept (malformed, or not sent) are made visible again at the end. A moved
message keeps its body and message attributes.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import clients
from ..arrival.dead_letter import REASON_ATTRIBUTE
from ..settings import ArrivalSettings
from .arguments import add_seconds_option, positive_int
from .dead_letters import make_visible
from .errors import EXIT_INCOMPLETE, EXIT_OK, OperatorError
from .output import emit, plural
from .target import locate

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef, MessageTypeDef

    from .cli import Commands

DEFAULT_TIME_LIMIT_SECONDS = 900.0
"""How long a redrive runs at most, unless ``--time-limit`` says otherwise."""
LONG_POLL_SECONDS = 2
"""How long one receive waits for a message before the queue counts as empty."""
_HIDE_MARGIN_SECONDS = 60
_MAX_VISIBILITY_SECONDS = 12 * 3600  # SQS's limit


@dataclass
class RedriveResult:
    """What a redrive did."""

    moved: int = 0
    """Messages sent to the arrival queue and deleted from the dead-letter queue."""
    failed: int = 0
    """Messages the arrival queue did not accept; they stay in the dead-letter queue."""
    malformed: Counter[str] = field(default_factory=Counter)
    """Malformed messages left in the dead-letter queue, counted by reason."""
    stopped_by: str = "empty"
    """Why it stopped: ``empty`` (queue drained), ``max`` or ``time-limit``."""

    def as_dict(self) -> dict[str, Any]:
        """The result for ``--json``."""
        return {
            "moved": self.moved,
            "failed": self.failed,
            "malformed": sum(self.malformed.values()),
            "malformed_reasons": dict(self.malformed),
            "stopped_by": self.stopped_by,
        }


def redrive(
    settings: ArrivalSettings,
    *,
    max_messages: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_SECONDS,
    sqs: SQSClient | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RedriveResult:
    """Move up to ``max_messages`` (default: all) messages from the dead-letter queue to the
    arrival queue within ``time_limit`` seconds, leaving malformed ones where they are."""
    if settings.dead_letter_queue_url is None or settings.arrival_queue_url is None:
        raise OperatorError("the pipeline's settings name no dead-letter queue or arrival queue")
    client = sqs or clients.sqs()
    source, target = settings.dead_letter_queue_url, settings.arrival_queue_url
    hide = min(int(time_limit) + _HIDE_MARGIN_SECONDS, _MAX_VISIBILITY_SECONDS)
    deadline = clock() + time_limit
    result = RedriveResult()
    kept: list[str] = []
    try:
        while True:
            seen = result.moved + result.failed + len(kept)
            if max_messages is not None and seen >= max_messages:
                result.stopped_by = "max"
                break
            if clock() >= deadline:
                result.stopped_by = "time-limit"
                break
            wanted = 10 if max_messages is None else min(10, max_messages - seen)
            messages = client.receive_message(
                QueueUrl=source,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=LONG_POLL_SECONDS,
                VisibilityTimeout=hide,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            movable = []
            for message in messages:
                reason = _reason(message)
                if reason is None:
                    movable.append(message)
                else:
                    result.malformed[reason] += 1
                    kept.append(message["ReceiptHandle"])
            if movable:
                kept += _move(client, source, target, movable, result)
    finally:
        make_visible(client, source, kept)
    return result


def _reason(message: MessageTypeDef) -> str | None:
    attribute = message.get("MessageAttributes", {}).get(REASON_ATTRIBUTE)
    return None if attribute is None else attribute.get("StringValue", "malformed")


def _move(
    client: SQSClient,
    source: str,
    target: str,
    messages: list[MessageTypeDef],
    result: RedriveResult,
) -> list[str]:
    """Send ``messages`` to ``target`` and delete them from ``source``; return the handles of
    those not sent."""
    sent = client.send_message_batch(
        QueueUrl=target,
        Entries=[
            {
                "Id": str(index),
                "MessageBody": message["Body"],
                "MessageAttributes": _attributes(message),
            }
            for index, message in enumerate(messages)
        ],
    )
    moved = [messages[int(entry["Id"])] for entry in sent.get("Successful", [])]
    if moved:
        client.delete_message_batch(
            QueueUrl=source,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(moved)
            ],
        )
    result.moved += len(moved)
    failed = [messages[int(entry["Id"])] for entry in sent.get("Failed", [])]
    result.failed += len(failed)
    return [message["ReceiptHandle"] for message in failed]


def _attributes(message: MessageTypeDef) -> dict[str, MessageAttributeValueTypeDef]:
    copied: dict[str, MessageAttributeValueTypeDef] = {}
    for name, value in message.get("MessageAttributes", {}).items():
        attribute: MessageAttributeValueTypeDef = {"DataType": value["DataType"]}
        if "StringValue" in value:
            attribute["StringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            attribute["BinaryValue"] = value["BinaryValue"]
        copied[name] = attribute
    return copied


def register(commands: Commands) -> None:
    """Add ``redrive`` to the command line."""
    parser = commands.add(
        "redrive",
        help="move dead-lettered messages back to the arrival queue",
        description=(
            "Move dead-lettered messages back to the arrival queue, with their attributes."
            " Messages dead-lettered as malformed stay, with the reason in their bpc-reason"
            " and bpc-detail attributes."
        ),
        run=run,
    )
    parser.add_argument("--max", type=positive_int, help="move at most this many messages")
    add_seconds_option(
        parser, "--time-limit", default=DEFAULT_TIME_LIMIT_SECONDS, help="stop after this long"
    )


def run(args: argparse.Namespace) -> int:
    """The body of ``batch-pipeline redrive``."""
    target = locate(args)
    result = redrive(target.settings, max_messages=args.max, time_limit=args.time_limit)
    malformed = sum(result.malformed.values())
    lines = [f"moved {plural(result.moved, 'message')} to the arrival queue"]
    if malformed:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in result.malformed.items())
        lines.append(
            f"left {plural(malformed, 'malformed message')} in the dead-letter queue ({reasons});"
            " their bpc-reason and bpc-detail attributes say why"
        )
    if result.failed:
        lines.append(f"{plural(result.failed, 'message')} could not be sent and stay dead-lettered")
    if result.stopped_by != "empty":
        lines.append(f"stopped at the {'--max' if result.stopped_by == 'max' else 'time limit'}")
    emit(result.as_dict(), "\n".join(lines), as_json=args.json)
    return EXIT_INCOMPLETE if result.failed else EXIT_OK
