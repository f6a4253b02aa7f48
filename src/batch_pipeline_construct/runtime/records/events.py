"""Batch's ``Batch Job State Change`` events, read into what a file's record needs.

The event's ``detail`` is the job as ``DescribeJobs`` returns it (``JobDetail``). A child of an
array job has ``arrayProperties.index`` and the ID ``parent:index``; the array parent has
``arrayProperties.size`` and no index. Batch sends no event for the initial submission, delivers
each event at least once and in no guaranteed order; ``time`` has a resolution of one second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .schema import BATCH_STATUS_RANK

__all__ = [
    "DETAIL_TYPE",
    "SOURCE",
    "JobEvent",
    "NotAJobEvent",
    "job_event",
]

SOURCE = "aws.batch"
"""The events' ``source``."""
DETAIL_TYPE = "Batch Job State Change"
"""The events' ``detail-type``."""


class NotAJobEvent(ValueError):
    """The input is not a ``Batch Job State Change`` event with a known status."""


@dataclass(frozen=True)
class JobEvent:
    """One job state change, as the record needs it."""

    job_id: str
    """The job's ID (``parent:index`` for an array child)."""
    job_name: str
    """The job's name."""
    status: str
    """The job's new Batch status, e.g. ``RUNNING``."""
    time: str
    """The event's time (ISO 8601, UTC, seconds)."""
    parameters: Mapping[str, str]
    """The job's parameters: the contract's ``inputBucket``, ``inputKey``, ``versionId``,
    ``outputUri``, or bulk mode's ``manifestUri``."""
    array_index: int | None = None
    """The child's index, for a child of an array job."""
    array_size: int | None = None
    """The number of children, for an array parent."""
    attempts: int = 0
    """Attempts Batch made so far."""
    exit_code: int | None = None
    """The container's exit code on the last attempt."""
    status_reason: str | None = None
    """Batch's status reason, or else the container's reason on the last attempt."""
    log_group: str | None = None
    """The log group of the job's container, when its log configuration names one."""
    log_stream: str | None = None
    """The last attempt's log stream."""
    created_at: float | None = None
    """Epoch seconds when the job was created."""
    started_at: float | None = None
    """Epoch seconds when the last attempt started."""
    stopped_at: float | None = None
    """Epoch seconds when the job stopped."""

    @property
    def is_array_parent(self) -> bool:
        """Whether this is an array job's parent (its children carry the files)."""
        return self.array_size is not None and self.array_index is None

    @property
    def rank(self) -> int:
        """The status's place in :data:`.schema.BATCH_STATUS_RANK`."""
        return BATCH_STATUS_RANK[self.status]

    @property
    def epoch(self) -> float:
        """:attr:`time` in epoch seconds."""
        return datetime.fromisoformat(self.time).timestamp()


def job_event(event: Mapping[str, Any]) -> JobEvent:
    """Read an EventBridge event; raises :class:`NotAJobEvent` for anything else."""
    if event.get("source") != SOURCE or event.get("detail-type") != DETAIL_TYPE:
        raise NotAJobEvent(
            f"not a {DETAIL_TYPE!r} event: {event.get('source')!r} {event.get('detail-type')!r}"
        )
    detail: Mapping[str, Any] = event.get("detail") or {}
    status = detail.get("status")
    if status not in BATCH_STATUS_RANK or not detail.get("jobId") or not event.get("time"):
        raise NotAJobEvent(f"a job state change without a known status, job ID or time: {status!r}")
    attempts: list[Mapping[str, Any]] = list(detail.get("attempts") or [])
    last_attempt: Mapping[str, Any] = attempts[-1] if attempts else {}
    container: Mapping[str, Any] = detail.get("container") or {}
    attempt_container: Mapping[str, Any] = last_attempt.get("container") or {}
    array: Mapping[str, Any] = detail.get("arrayProperties") or {}
    log_options: Mapping[str, Any] = (container.get("logConfiguration") or {}).get("options") or {}
    exit_code = container.get("exitCode", attempt_container.get("exitCode"))
    return JobEvent(
        job_id=str(detail["jobId"]),
        job_name=str(detail.get("jobName", "")),
        status=str(status),
        time=str(event["time"]),
        parameters={str(k): str(v) for k, v in (detail.get("parameters") or {}).items()},
        array_index=_optional_int(array.get("index")),
        array_size=_optional_int(array.get("size")),
        attempts=len(attempts),
        exit_code=_optional_int(exit_code),
        status_reason=detail.get("statusReason")
        or last_attempt.get("statusReason")
        or container.get("reason")
        or attempt_container.get("reason"),
        log_group=log_options.get("awslogs-group"),
        log_stream=container.get("logStreamName") or attempt_container.get("logStreamName"),
        created_at=_seconds(detail.get("createdAt")),
        started_at=_seconds(detail.get("startedAt") or last_attempt.get("startedAt")),
        stopped_at=_seconds(detail.get("stoppedAt") or last_attempt.get("stoppedAt")),
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _seconds(epoch_millis: Any) -> float | None:
    return None if epoch_millis is None else int(epoch_millis) / 1000
