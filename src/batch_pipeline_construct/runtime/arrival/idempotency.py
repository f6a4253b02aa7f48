"""One job per object version, although S3 and SQS deliver each event at least once.

Before submitting, the arrival function *claims* the object version in a DynamoDB table with a
conditional PutItem; after Batch accepts the job it *marks* the claim ``SUBMITTED`` with the job
ID; if submission fails it *releases* the claim (deletes it) so that the message's redelivery can
submit. The table (on-demand) has the partition key :data:`PARTITION_KEY` (string) and
DynamoDB TTL on :data:`TTL_ATTRIBUTE` (epoch seconds).

The key of an object version is ``bucket/key`` and its version ID, or, in a bucket without
versioning, the event's sequencer (distinct for every write of a key, the same in every
delivery of one write). An event with neither is not deduplicated.

A claim is ``PENDING`` with a lease that ends when the claiming invocation can no longer be
running (its deadline plus a margin). A ``PENDING`` claim whose lease ended belongs to an
invocation that crashed or timed out, and the next delivery takes it over. A claim past its
TTL counts as absent even before DynamoDB deletes it (TTL deletion is lazy).

The guarantee:

* A delivery of an object version whose claim is ``SUBMITTED`` and within the TTL starts no job
  (``duplicate``). One whose claim is ``PENDING`` with a running lease starts no job either
  (``in-progress``): its message is retried later, when the claim is either ``SUBMITTED``
  (then acknowledged as a duplicate) or expired (then taken over), so no object is lost.
* So every object version starts at most one job per TTL window, except in one case: if an
  invocation dies between SubmitJob's success and the mark (timeout, crash, DynamoDB error on
  the mark), the lease runs out and a redelivery submits a second job. At-least-once always
  holds; at-most-once holds except for that window.
* A delivery after the TTL is treated as new and starts a new job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from botocore.exceptions import ClientError

from ..settings import PARTITION_KEY, TTL_ATTRIBUTE

__all__ = [
    "PENDING",
    "SUBMITTED",
    "Claim",
    "Ledger",
    "Taken",
    "dedupe_key",
]

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from .s3_events import ObjectRef

PENDING = "PENDING"
"""Status of a claim whose job is being submitted."""
SUBMITTED = "SUBMITTED"
"""Status of a claim whose job Batch accepted."""


def dedupe_key(ref: ObjectRef) -> str | None:
    """The table key of ``ref``'s object version, or None when it cannot be identified."""
    if ref.version_id is not None:
        return f"{ref.bucket}/{ref.key}#version={ref.version_id}"
    if ref.sequencer is not None:
        return f"{ref.bucket}/{ref.key}#sequencer={ref.sequencer}"
    return None


@dataclass(frozen=True)
class Claim:
    """This invocation's claim on an object version."""

    key: str
    """The table key."""
    token: str
    """Identifies this claim, so only its holder can mark or release it."""


@dataclass(frozen=True)
class Taken:
    """The object version is claimed already: by a submitted job or a running submission."""

    state: Literal["duplicate", "in-progress"]
    """``duplicate`` when a job was submitted, ``in-progress`` when one is being submitted."""
    job_id: str | None
    """The job submitted for it, for a duplicate."""


class Ledger:
    """Claims, marks and releases object versions in the idempotency table."""

    def __init__(self, client: DynamoDBClient, table: str, *, ttl_seconds: int) -> None:
        self._client = client
        self._table = table
        self._ttl_seconds = ttl_seconds

    def claim(self, ref: ObjectRef, *, now: float, lease_seconds: float) -> Claim | Taken | None:
        """Claim ``ref``'s version; None when it has no version ID or sequencer to dedupe on."""
        key = dedupe_key(ref)
        if key is None:
            return None
        token = uuid.uuid4().hex
        item = {
            PARTITION_KEY: {"S": key},
            "status": {"S": PENDING},
            "token": {"S": token},
            "lease_until": {"N": str(int(now + lease_seconds) + 1)},
            TTL_ATTRIBUTE: {"N": str(int(now) + self._ttl_seconds)},
            "bucket": {"S": ref.bucket},
            "object_key": {"S": ref.key},
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=(
                    "attribute_not_exists(#pk) OR #ttl < :now"
                    " OR (#status = :pending AND lease_until < :now)"
                ),
                ExpressionAttributeNames={
                    "#pk": PARTITION_KEY,
                    "#ttl": TTL_ATTRIBUTE,
                    "#status": "status",
                },
                ExpressionAttributeValues={
                    ":now": {"N": str(int(now))},
                    ":pending": {"S": PENDING},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = cast("dict[str, Any]", error.response.get("Item", {}))
            status = old.get("status", {}).get("S")
            job_id = old.get("job_id", {}).get("S")
            return Taken("duplicate" if status == SUBMITTED else "in-progress", job_id)
        return Claim(key, token)

    def mark_submitted(self, claim: Claim, *, job_id: str, job_name: str) -> None:
        """Record that Batch accepted ``job_id`` for the claimed version."""
        self._client.update_item(
            TableName=self._table,
            Key={PARTITION_KEY: {"S": claim.key}},
            UpdateExpression="SET #status = :submitted, job_id = :job_id, job_name = :job_name",
            ConditionExpression="#token = :token",
            ExpressionAttributeNames={"#status": "status", "#token": "token"},
            ExpressionAttributeValues={
                ":submitted": {"S": SUBMITTED},
                ":job_id": {"S": job_id},
                ":job_name": {"S": job_name},
                ":token": {"S": claim.token},
            },
        )

    def release(self, claim: Claim) -> None:
        """Give the claim up so that a redelivery can submit; a taken-over claim is left alone."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={PARTITION_KEY: {"S": claim.key}},
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": {"S": claim.token}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
