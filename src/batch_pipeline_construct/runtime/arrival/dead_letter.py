"""Send a message that no retry can fix to the dead-letter queue, with the reason attached."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

REASON_ATTRIBUTE = "bpc-reason"
"""Message attribute with the reason (a :class:`.s3_events.MalformedReason` value)."""
DETAIL_ATTRIBUTE = "bpc-detail"
"""Message attribute with what exactly was wrong."""
SOURCE_MESSAGE_ATTRIBUTE = "bpc-source-message-id"
"""Message attribute with the arrival queue's message ID."""

_MAX_DETAIL = 1024


def send_to_dead_letter(
    sqs: SQSClient, queue_url: str, *, body: str, reason: str, detail: str, message_id: str
) -> None:
    """Send ``body`` unchanged to the dead-letter queue at ``queue_url``."""
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=body,
        MessageAttributes={
            REASON_ATTRIBUTE: {"DataType": "String", "StringValue": reason},
            DETAIL_ATTRIBUTE: {
                "DataType": "String",
                "StringValue": (detail or reason)[:_MAX_DETAIL],
            },
            SOURCE_MESSAGE_ATTRIBUTE: {"DataType": "String", "StringValue": message_id},
        },
    )
