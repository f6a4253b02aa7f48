"""The file-records table: every attribute name and value, defined once.

One DynamoDB table (on-demand, TTL) holds one item per object version: the *per-file record*.
It is keyed by :func:`record_key` under :data:`PARTITION_KEY`, and the same table holds one item
per *run* under keys that start with :data:`RUN_KEY_PREFIX` (never a file's key: those start
with a bucket name, which cannot contain ``#``).

Who writes what:

* the **arrival function** claims a version (:data:`CLAIM_STATUS` ``PENDING`` with a
  :data:`CLAIM_TOKEN` and :data:`LEASE_UNTIL`) and marks it submitted (``SUBMITTED``,
  :data:`JOB_ID`, :data:`JOB_NAME`); a failed submission deletes the claim;
* the **record function** applies Batch's ``Batch Job State Change`` events: :data:`STATE`,
  :data:`BATCH_STATUS`, the outcome fields, :data:`RUN_ID` and the run items; for a file of a
  packed array child, the outcome fields come from the file's own outcome (:mod:`.outcomes`).

A file's state is :data:`STATE` when an event has set it, else it follows from the claim
(:func:`state_of_item`). States only move forward in :data:`BATCH_STATUS_RANK` order, or to a
later event of the same job (a retried attempt goes back to ``RUNNABLE``); a job's final event
is final.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from ..settings import PARTITION_KEY, TTL_ATTRIBUTE

__all__ = [
    "ARRAY_INDEX",
    "ATTEMPTS",
    "BATCH_STATUS",
    "BATCH_STATUS_RANK",
    "BUCKET",
    "CLAIM_PENDING",
    "CLAIM_STATUS",
    "CLAIM_SUBMITTED",
    "CLAIM_TOKEN",
    "CURRENT_RUN_KEY",
    "DURATION_SECONDS",
    "EVENT_TIME",
    "EXIT_CODE",
    "FINAL_RANK",
    "FINAL_STATES",
    "FINISHED_AT",
    "JOB_ID",
    "JOB_INDEX",
    "JOB_NAME",
    "LEASE_UNTIL",
    "MANIFEST_URI",
    "LOG_GROUP",
    "LOG_LINE_PREFIX",
    "LOG_STREAM",
    "OBJECT_KEY",
    "OUTPUT_URI",
    "PARTITION_KEY",
    "RECEIVED_AT",
    "RUN_COUNTED",
    "RUN_CURRENT_ID",
    "RUN_FAILED",
    "RUN_FILES",
    "RUN_FINISHED",
    "RUN_FIRST_SEEN",
    "RUN_ID",
    "RUN_INDEX",
    "RUN_KEY_PREFIX",
    "RUN_LAST_FINISHED",
    "RUN_LAST_SEEN",
    "RUN_REPORTED_AT",
    "RUN_REPORT_CLAIMED_UNTIL",
    "RUN_REPORT_URI",
    "RUN_SUCCEEDED",
    "STARTED_AT",
    "STATE",
    "STATE_OF_BATCH_STATUS",
    "STATUS_RANK",
    "STATUS_REASON",
    "SUBMISSIONS",
    "SUBMITTED_AT",
    "TTL_ATTRIBUTE",
    "UPDATED_AT",
    "VERSION_ID",
    "FileState",
    "is_run_key",
    "object_of_record_key",
    "record_key",
    "run_key",
    "state_of_item",
]


class FileState(StrEnum):
    """Where a file stands."""

    RECEIVED = "received"
    """The arrival function claimed it; no job is known yet."""
    SUBMITTED = "submitted"
    """Its job was accepted by Batch and waits for compute (``SUBMITTED`` to ``RUNNABLE``)."""
    RUNNING = "running"
    """Its job is starting or running (``STARTING``, ``RUNNING``)."""
    SUCCEEDED = "succeeded"
    """Its job SUCCEEDED."""
    FAILED = "failed"
    """Its job FAILED after every attempt."""
    DEAD_LETTERED = "dead-lettered"
    """It could not be submitted and its message is in the arrival dead-letter queue. The pipeline
    writes no record in this state: only the queue knows which files SQS dead-lettered, so the
    operator commands read it (:mod:`..operator.dead_letters`); ``retry`` accepts the state."""


FINAL_STATES = frozenset({FileState.SUCCEEDED, FileState.FAILED, FileState.DEAD_LETTERED})
"""States a file leaves only when it is submitted again (``retry``)."""

BATCH_STATUS_RANK: Mapping[str, int] = {
    "SUBMITTED": 0,
    "PENDING": 1,
    "RUNNABLE": 2,
    "STARTING": 3,
    "RUNNING": 4,
    "SUCCEEDED": 5,
    "FAILED": 5,
}
"""Order of a job's Batch statuses; events of one second are ordered by it."""
FINAL_RANK = 5
"""Rank of SUCCEEDED and FAILED: a job's final event."""

STATE_OF_BATCH_STATUS: Mapping[str, FileState] = {
    "SUBMITTED": FileState.SUBMITTED,
    "PENDING": FileState.SUBMITTED,
    "RUNNABLE": FileState.SUBMITTED,
    "STARTING": FileState.RUNNING,
    "RUNNING": FileState.RUNNING,
    "SUCCEEDED": FileState.SUCCEEDED,
    "FAILED": FileState.FAILED,
}
"""The file's state while its job has a given Batch status."""

# Written by the arrival function (claim, lease, submission).
CLAIM_STATUS = "status"
"""The claim: :data:`CLAIM_PENDING` while a job is being submitted, then :data:`CLAIM_SUBMITTED`."""
CLAIM_PENDING = "PENDING"
"""A claim whose job is being submitted."""
CLAIM_SUBMITTED = "SUBMITTED"
"""A claim whose job Batch accepted."""
CLAIM_TOKEN = "token"
"""Identifies the claiming invocation."""
LEASE_UNTIL = "lease_until"
"""Epoch seconds after which a ``PENDING`` claim may be taken over."""
BUCKET = "bucket"
"""The input object's bucket."""
OBJECT_KEY = "object_key"
"""The input object's key (decoded)."""
VERSION_ID = "version_id"
"""The input object's version ID, when the bucket is versioned."""
RECEIVED_AT = "received_at"
"""Epoch seconds when the file was first claimed."""
JOB_ID = "job_id"
"""The Batch job: a job ID, or ``parent:index`` for a child of an array job."""
JOB_NAME = "job_name"
"""The Batch job's name."""
SUBMISSIONS = "submissions"
"""String set: the name of every job a claim's holder was about to submit, written with the
claim before SubmitJob, so a later holder can look them up when their outcome is unknown."""

# Written by the record function, from Batch job state change events.
STATE = "state"
"""The file's :class:`FileState` (its value)."""
BATCH_STATUS = "batch_status"
"""The job's last applied Batch status, e.g. ``RUNNABLE``."""
STATUS_RANK = "status_rank"
""":data:`BATCH_STATUS_RANK` of :data:`BATCH_STATUS`."""
EVENT_TIME = "event_time"
"""The ``time`` of the last applied event (ISO 8601, seconds, UTC: ordered as text)."""
ARRAY_INDEX = "array_index"
"""The child's index, for a file processed by a child of an array job."""
ATTEMPTS = "attempts"
"""Attempts Batch made for the job so far."""
EXIT_CODE = "exit_code"
"""The container's exit code on the last attempt, when it ran."""
STATUS_REASON = "status_reason"
"""Why the job ended as it did (Batch's status reason, or the container's reason)."""
LOG_GROUP = "log_group"
"""The CloudWatch Logs group of the job's output."""
LOG_STREAM = "log_stream"
"""The CloudWatch Logs stream of the last attempt."""
LOG_LINE_PREFIX = "log_line_prefix"
"""The prefix of the file's lines in :data:`LOG_STREAM`, for a file of a packed array child."""
MANIFEST_URI = "manifest_uri"
"""``s3://`` URI of the manifest, for a file of an array job (its outcomes are beside it)."""
DURATION_SECONDS = "duration_seconds"
"""Seconds the file's command took, from its outcome (a file of a packed array child)."""
OUTPUT_URI = "output_uri"
"""``s3://`` URI of the file's output prefix."""
SUBMITTED_AT = "submitted_at"
"""Epoch seconds when Batch created the job."""
STARTED_AT = "started_at"
"""Epoch seconds when the last attempt started running."""
FINISHED_AT = "finished_at"
"""Epoch seconds when the job stopped (final states)."""
UPDATED_AT = "updated_at"
"""Epoch seconds of the last write by the record function."""
RUN_ID = "run_id"
"""The run the file belongs to (see :mod:`.runs`)."""
RUN_COUNTED = "run_counted"
"""Set once the file's final state is counted in its run."""

# Run items (partition key ``run#<run id>``), and the pointer to the current run.
RUN_KEY_PREFIX = "run#"
"""Partition keys of run items start with this."""
CURRENT_RUN_KEY = "run#current"
"""The item naming the run that files join while it is open."""
RUN_CURRENT_ID = "current_run"
"""In :data:`CURRENT_RUN_KEY`: the current run's ID."""
RUN_FILES = "files"
"""Files that joined the run."""
RUN_FINISHED = "finished"
"""Files of the run in a final state."""
RUN_SUCCEEDED = "succeeded"
"""Files of the run that succeeded."""
RUN_FAILED = "failed"
"""Files of the run that failed."""
RUN_FIRST_SEEN = "first_seen"
"""Epoch seconds when the run's first file joined."""
RUN_LAST_SEEN = "last_seen"
"""Epoch seconds when the run's latest file joined."""
RUN_LAST_FINISHED = "last_finished"
"""Epoch seconds when the run's latest file reached a final state."""
RUN_REPORT_CLAIMED_UNTIL = "report_claimed_until"
"""Epoch seconds until which one record-function invocation is writing the run's report."""
RUN_REPORTED_AT = "reported_at"
"""Epoch seconds when the run's report was written and its summary published."""
RUN_REPORT_URI = "report_uri"
"""``s3://`` URI of the run's report."""

# Global secondary indexes.
RUN_INDEX = "by-run"
"""Index of file records by :data:`RUN_ID` (every attribute projected)."""
JOB_INDEX = "by-job"
"""Index of file records by :data:`JOB_ID` (keys only)."""


def record_key(
    bucket: str, key: str, *, version_id: str | None = None, sequencer: str | None = None
) -> str | None:
    """The partition key of an object version's record; None when it cannot be identified.

    ``bucket/key`` and the version ID, or in a bucket without versioning the S3 event's
    sequencer. The arrival function's claims use the same key.
    """
    if version_id is not None:
        return f"{bucket}/{key}#version={version_id}"
    if sequencer is not None:
        return f"{bucket}/{key}#sequencer={sequencer}"
    return None


def object_of_record_key(partition_key: str) -> tuple[str, str]:
    """``(bucket, key)`` of the object version whose record has ``partition_key``."""
    head, marker, _ = partition_key.rpartition("#version=")
    if not marker:
        head, marker, _ = partition_key.rpartition("#sequencer=")
    bucket, _, key = (head if marker else partition_key).partition("/")
    return bucket, key


def run_key(run_id: str) -> str:
    """The partition key of run ``run_id``'s item."""
    return f"{RUN_KEY_PREFIX}{run_id}"


def is_run_key(partition_key: str) -> bool:
    """Whether ``partition_key`` is a run item's (or the current-run pointer's), not a file's."""
    return partition_key.startswith(RUN_KEY_PREFIX)


def state_of_item(item: Mapping[str, Any]) -> FileState:
    """The state of a file record, given as a low-level DynamoDB item."""
    state = item.get(STATE, {}).get("S")
    if state is not None:
        return FileState(state)
    claim = item.get(CLAIM_STATUS, {}).get("S")
    return FileState.SUBMITTED if claim == CLAIM_SUBMITTED else FileState.RECEIVED
