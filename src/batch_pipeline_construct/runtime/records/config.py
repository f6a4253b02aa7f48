"""The record function's configuration: the environment variables the construct sets on it.

The table and output names are the arrival function's own (:mod:`..settings`), so both
functions read one name for one thing; the rest are the record function's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .. import settings
from .runs import DEFAULT_QUIET_SECONDS

__all__ = [
    "COMPLETION_TOPIC_ARN",
    "DEFAULT_RETENTION_DAYS",
    "JOB_LOG_GROUP",
    "RECORDS_QUEUE_URL",
    "RECORD_RETENTION_SECONDS",
    "RUN_QUIET_SECONDS",
    "RecordSettings",
]

COMPLETION_TOPIC_ARN = "BPC_COMPLETION_TOPIC_ARN"
RECORDS_QUEUE_URL = "BPC_RECORDS_QUEUE_URL"
RECORD_RETENTION_SECONDS = "BPC_RECORD_RETENTION_SECONDS"
RUN_QUIET_SECONDS = "BPC_RUN_QUIET_SECONDS"
JOB_LOG_GROUP = "BPC_JOB_LOG_GROUP"

DEFAULT_RETENTION_DAYS = 90
"""How long a file's record is kept after its last change, by default."""


@dataclass(frozen=True)
class RecordSettings:
    """Everything the record function needs to know about its pipeline."""

    table: str
    """The file-records table."""
    output_bucket: str
    """Where run reports go (and jobs' results)."""
    completion_topic_arn: str
    """Where run summaries are published."""
    output_root_prefix: str = ""
    """The pipeline's ``output_prefix`` (a file's output location is derived from it)."""
    queue_url: str | None = None
    """The record function's own queue, for a run's delayed close."""
    retention_seconds: int = DEFAULT_RETENTION_DAYS * 24 * 3600
    """How long a record is kept after its last change (TTL)."""
    quiet_seconds: int = DEFAULT_QUIET_SECONDS
    """A gap with no new file this long ends a run."""
    job_log_group: str | None = None
    """The jobs' log group, for log links when an event does not name it."""

    def to_environ(self) -> dict[str, str]:
        """The environment variables that :meth:`from_environ` reads back."""
        environ = {
            settings.FILE_RECORDS_TABLE: self.table,
            settings.OUTPUT_BUCKET: self.output_bucket,
            settings.OUTPUT_ROOT_PREFIX: self.output_root_prefix,
            COMPLETION_TOPIC_ARN: self.completion_topic_arn,
            RECORD_RETENTION_SECONDS: str(self.retention_seconds),
            RUN_QUIET_SECONDS: str(self.quiet_seconds),
        }
        if self.queue_url is not None:
            environ[RECORDS_QUEUE_URL] = self.queue_url
        if self.job_log_group is not None:
            environ[JOB_LOG_GROUP] = self.job_log_group
        return environ

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> RecordSettings:
        """Read the settings from ``environ`` (the process environment by default)."""
        env = os.environ if environ is None else environ
        return cls(
            table=env[settings.FILE_RECORDS_TABLE],
            output_bucket=env[settings.OUTPUT_BUCKET],
            completion_topic_arn=env[COMPLETION_TOPIC_ARN],
            output_root_prefix=env.get(settings.OUTPUT_ROOT_PREFIX, ""),
            queue_url=env.get(RECORDS_QUEUE_URL) or None,
            retention_seconds=int(
                env.get(RECORD_RETENTION_SECONDS, DEFAULT_RETENTION_DAYS * 24 * 3600)
            ),
            quiet_seconds=int(env.get(RUN_QUIET_SECONDS, DEFAULT_QUIET_SECONDS)),
            job_log_group=env.get(JOB_LOG_GROUP) or None,
        )
