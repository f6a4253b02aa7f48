"""The record function's settings: what the construct hands it, through its environment.

The table and output names are the arrival function's own (:mod:`..settings`), so both
functions read one variable for one thing; the rest are the record function's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import settings
from ..settings import RECORD_RETENTION_SECONDS, EnvironSettings, setting

__all__ = [
    "COMPLETION_TOPIC_ARN",
    "DEFAULT_QUIET_SECONDS",
    "DEFAULT_RETENTION_DAYS",
    "JOB_LOG_GROUP",
    "RECORDS_QUEUE_URL",
    "RECORD_RETENTION_SECONDS",
    "RUN_QUIET_SECONDS",
    "RecordSettings",
]

COMPLETION_TOPIC_ARN = "BPC_COMPLETION_TOPIC_ARN"
RECORDS_QUEUE_URL = "BPC_RECORDS_QUEUE_URL"
RUN_QUIET_SECONDS = "BPC_RUN_QUIET_SECONDS"
JOB_LOG_GROUP = "BPC_JOB_LOG_GROUP"

DEFAULT_RETENTION_DAYS = settings.DEFAULT_RECORD_RETENTION_SECONDS // (24 * 3600)
"""How long a file's record is kept after its last write, by default (in days)."""
DEFAULT_QUIET_SECONDS = 300
"""A gap with no new file this long ends a run, by default."""


@dataclass(frozen=True)
class RecordSettings(EnvironSettings):
    """Everything the record function needs to know about its pipeline."""

    table: str = setting(settings.FILE_RECORDS_TABLE)
    """The file-records table."""
    output_bucket: str = setting(settings.OUTPUT_BUCKET)
    """Where run reports go (and jobs' results)."""
    completion_topic_arn: str = setting(COMPLETION_TOPIC_ARN)
    """Where run summaries are published."""
    output_root_prefix: str = setting(settings.OUTPUT_ROOT_PREFIX, "")
    """The pipeline's ``output_prefix`` (a file's output location is derived from it)."""
    queue_url: str | None = setting(RECORDS_QUEUE_URL, None)
    """The record function's own queue, for a run's delayed close."""
    retention_seconds: int = setting(
        RECORD_RETENTION_SECONDS, settings.DEFAULT_RECORD_RETENTION_SECONDS
    )
    """How long a record is kept after its job's last event (TTL); the arrival function's
    claims use the same variable."""
    quiet_seconds: int = setting(RUN_QUIET_SECONDS, DEFAULT_QUIET_SECONDS)
    """A gap with no new file this long ends a run."""
    job_log_group: str | None = setting(JOB_LOG_GROUP, None)
    """The jobs' log group, for log links when an event does not name it."""
