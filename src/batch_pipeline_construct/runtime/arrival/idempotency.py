"""Exactly one job per object version, although S3 and SQS deliver each event at least once
and AWS may answer late, wrongly or not at all.

Each object version has one item in the per-file record table (:mod:`..records.schema`; key:
``bucket/key`` and the version ID, or the event's sequencer in an unversioned bucket; DynamoDB
TTL). The arrival function *claims* it with a conditional UpdateItem that already adds the name
of the job it is about to submit to the item's :data:`~..records.schema.SUBMISSIONS` (the object
version's job name, or in bulk mode the array job's, whose manifest is named after it), submits,
then *marks* it ``SUBMITTED`` with the job ID::

    A  claim(PENDING, job_name, lease) ── SubmitJob(job_name) ──✕ died / answer lost
    B       claim → in-progress: message retried later   ·
    C                                      lease ends ───┤ claim (takes over)
                                                         │ ListJobs(JOB_NAME) for each name
                                                         │   in SUBMISSIONS
                                                         ├ found → mark it; no SubmitJob
                                                         └ none  → SubmitJob(job_name), mark

* A claim is *released* (deleted, so a redelivery submits afresh) only when no job can exist:
  SubmitJob was refused (throttled, no connection), failed for good, or was never called.
  When the outcome is unknown (a 5xx, a lost or late answer, a crash) the claim stays.
* A ``PENDING`` claim whose lease runs makes a delivery wait (``in-progress``); its message is
  retried later. The lease ends only after its holder can no longer be running (the holder's
  deadline plus :data:`.invocation.LEASE_MARGIN_SECONDS`), and the holder never calls AWS past
  its deadline (every client has timeouts, :mod:`..clients`). So the next holder, taking the
  claim over, *looks up* the job by name before submitting: a job found is marked, not
  submitted again.
* A claim ``SUBMITTED`` (or in any later state of the per-file record) within the TTL is a
  ``duplicate``: no job. A claim past its TTL counts as absent (TTL deletion is lazy) and a
  delivery then starts a new job.

What holds: **exactly one job per object version within the TTL**, whatever SubmitJob answers
and wherever an invocation dies. What it rests on: ``ListJobs`` lists a job once SubmitJob
has answered (after a 5xx, the lookup follows a backoff) and Batch finishes or drops a request
before the lease ends (minutes after the client gave up on it). An event with neither version
ID nor sequencer is not deduplicated. The tests that prove it, fault by fault and crash point
by crash point, are ``tests/runtime/arrival/test_exactly_one_job_*.py``.

Measured with ``python -m tests.support.exactly_once_figures --files 100`` (the real handler
against moto in simulated time; a fault at 1% of *all* AWS calls, so a bulk invocation of a few
hundred calls almost always meets one)::

    mode      faults                    lost twice dead-lettered SubmitJob/file ListJobs/file
    per-file  none                         0     0             0           1.00          0.00
    per-file  1% of answers lost           0     0             0           1.00          0.01
    per-file  1% crashes, after AWS acted  0     0             0           1.00          0.02
    per-file  1% crashes, before the call  0     0             0           1.01          0.02
    bulk      none                         0     0             0           0.01          0.00
    bulk      1% of answers lost           0     0             0           0.02          0.01
    bulk      1% crashes, after AWS acted  0     0             0           0.03          0.01
    bulk      1% crashes, before the call  0     0           100           0.01          0.02

(at 143c86e, after the simulated queue stopped letting messages back on moto's real-time clock.)
The bulk files dead-lettered are not lost (they wait in the dead-letter queue for a redrive):
a crash at 1% of every call kills nearly every bulk invocation of a few hundred calls before it
submits (5 died in that run), and each death costs every message in flight one of its
``maxReceiveCount`` (5 there) receives. Writes: one per file to claim, one to mark; a throttled
table only makes a file's message wait (claim) or leaves a claim for a lookup (mark).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from botocore.exceptions import ClientError

from ..records.schema import (
    BUCKET,
    CLAIM_PENDING,
    CLAIM_STATUS,
    CLAIM_SUBMITTED,
    CLAIM_TOKEN,
    JOB_ID,
    JOB_NAME,
    LEASE_UNTIL,
    OBJECT_KEY,
    RECEIVED_AT,
    SUBMISSIONS,
    VERSION_ID,
    record_key,
)
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

PENDING = CLAIM_PENDING
"""Status of a claim whose job is being submitted."""
SUBMITTED = CLAIM_SUBMITTED
"""Status of a claim whose job Batch accepted."""


def dedupe_key(ref: ObjectRef) -> str | None:
    """The table key of ``ref``'s object version, or None when it cannot be identified."""
    return record_key(ref.bucket, ref.key, version_id=ref.version_id, sequencer=ref.sequencer)


@dataclass(frozen=True)
class Claim:
    """This invocation's claim on an object version."""

    key: str
    """The table key."""
    token: str
    """Identifies this claim, so only its holder can mark or release it."""
    unknown: tuple[str, ...] = ()
    """When the claim was taken over from a holder whose lease ended: the names of the jobs
    earlier holders were about to submit, to be looked up before submitting again."""


@dataclass(frozen=True)
class Taken:
    """The object version is claimed already: by a submitted job or a running submission."""

    state: Literal["duplicate", "in-progress"]
    """``duplicate`` when a job was submitted, ``in-progress`` when one is being submitted."""
    job_id: str | None
    """The job submitted for it, for a duplicate."""


class Ledger:
    """Claims, marks and releases object versions in the per-file record table."""

    def __init__(self, client: DynamoDBClient, table: str, *, ttl_seconds: int) -> None:
        self.client = client
        """The DynamoDB client."""
        self._table = table
        self._ttl_seconds = ttl_seconds

    def claim(
        self, ref: ObjectRef, *, job_name: str, now: float, lease_seconds: float
    ) -> Claim | Taken | None:
        """Claim ``ref``'s version for the job ``job_name``; None when it has no version ID or
        sequencer to dedupe on. One write, which also names the job (see the module docs)."""
        key = dedupe_key(ref)
        if key is None:
            return None
        token = uuid.uuid4().hex
        values: dict[str, Any] = {
            ":pending": {"S": PENDING},
            ":token": {"S": token},
            ":lease": {"N": str(int(now + lease_seconds) + 1)},
            ":expires": {"N": str(int(now) + self._ttl_seconds)},
            ":now": {"N": str(int(now))},
            ":bucket": {"S": ref.bucket},
            ":key": {"S": ref.key},
            ":names": {"SS": [job_name]},
        }
        assignments = [
            "#status = :pending",
            "#token = :token",
            "#lease = :lease",
            "#ttl = :expires",
            "#bucket = :bucket",
            "#key = :key",
            "#received = if_not_exists(#received, :now)",
        ]
        if ref.version_id is not None:
            values[":version"] = {"S": ref.version_id}
            assignments.append("#version = :version")
        try:
            response = self.client.update_item(
                TableName=self._table,
                Key={PARTITION_KEY: {"S": key}},
                UpdateExpression=f"SET {', '.join(assignments)} ADD #names :names",
                ConditionExpression=(
                    "attribute_not_exists(#pk) OR #ttl < :now"
                    " OR (#status = :pending AND #lease < :now)"
                ),
                ExpressionAttributeNames={
                    "#pk": PARTITION_KEY,
                    "#ttl": TTL_ATTRIBUTE,
                    "#status": CLAIM_STATUS,
                    "#token": CLAIM_TOKEN,
                    "#lease": LEASE_UNTIL,
                    "#bucket": BUCKET,
                    "#key": OBJECT_KEY,
                    "#received": RECEIVED_AT,
                    "#names": SUBMISSIONS,
                    **({"#version": VERSION_ID} if ref.version_id is not None else {}),
                },
                ExpressionAttributeValues=values,
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = cast("dict[str, Any]", error.response.get("Item", {}))
            status = old.get(CLAIM_STATUS, {}).get("S")
            job_id = old.get(JOB_ID, {}).get("S")
            return Taken("in-progress" if status == PENDING else "duplicate", job_id)
        return Claim(key, token, _unknown(cast("dict[str, Any]", response.get("Attributes", {}))))

    def mark_submitted(self, claim: Claim, *, job_id: str, job_name: str) -> None:
        """Record that Batch accepted ``job_id`` for the claimed version."""
        self.client.update_item(
            TableName=self._table,
            Key={PARTITION_KEY: {"S": claim.key}},
            UpdateExpression="SET #status = :submitted, #job_id = :job_id, #job_name = :job_name",
            ConditionExpression="#token = :token",
            ExpressionAttributeNames={
                "#status": CLAIM_STATUS,
                "#token": CLAIM_TOKEN,
                "#job_id": JOB_ID,
                "#job_name": JOB_NAME,
            },
            ExpressionAttributeValues={
                ":submitted": {"S": SUBMITTED},
                ":job_id": {"S": job_id},
                ":job_name": {"S": job_name},
                ":token": {"S": claim.token},
            },
        )

    def release(self, claim: Claim) -> None:
        """Give the claim up so that a redelivery can submit; a taken-over claim is left alone.

        Only for a claim none of whose jobs can exist: a released claim is not looked up.
        """
        try:
            self.client.delete_item(
                TableName=self._table,
                Key={PARTITION_KEY: {"S": claim.key}},
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": CLAIM_TOKEN},
                ExpressionAttributeValues={":token": {"S": claim.token}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


def _unknown(old: dict[str, Any]) -> tuple[str, ...]:
    """The jobs earlier holders named, when the claim replaced a ``PENDING`` one."""
    if old.get(CLAIM_STATUS, {}).get("S") != PENDING:
        return ()
    return tuple(sorted(old.get(SUBMISSIONS, {}).get("SS", [])))
