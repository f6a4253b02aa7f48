"""Typed views of the file-records table's items: a file's record and a run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from . import schema
from .schema import FileState


@dataclass(frozen=True)
class FileRecord:
    """Where one object version stands, and how its job ended."""

    record_key: str
    """The item's partition key (see :func:`.schema.record_key`)."""
    bucket: str
    """The input object's bucket."""
    key: str
    """The input object's key."""
    state: FileState
    """Where the file stands."""
    version_id: str | None = None
    """The input object's version, when known."""
    job_id: str | None = None
    """The Batch job (``parent:index`` for an array child)."""
    job_name: str | None = None
    """The Batch job's name."""
    batch_status: str | None = None
    """The job's last known Batch status."""
    array_index: int | None = None
    """The array child's index, in bulk mode."""
    attempts: int | None = None
    """Attempts Batch made."""
    exit_code: int | None = None
    """The container's exit code on the last attempt."""
    status_reason: str | None = None
    """Why the job ended as it did."""
    log_group: str | None = None
    """The job's CloudWatch Logs group."""
    log_stream: str | None = None
    """The last attempt's CloudWatch Logs stream."""
    output_uri: str | None = None
    """Where the file's results go."""
    run_id: str | None = None
    """The run the file belongs to."""
    received_at: float | None = None
    """Epoch seconds when the file was claimed (when the arrival function records it)."""
    submitted_at: float | None = None
    """Epoch seconds when Batch created the job."""
    started_at: float | None = None
    """Epoch seconds when the last attempt started."""
    finished_at: float | None = None
    """Epoch seconds when the job stopped (for a file of a packed child: when the file did)."""
    duration_seconds: float | None = None
    """Seconds the file's command took (a file of a packed array child)."""
    log_line_prefix: str | None = None
    """The prefix of the file's lines in :attr:`log_stream` (a file of a packed array child)."""
    manifest_uri: str | None = None
    """The manifest of the file's array job, in bulk mode (its outcomes are beside it)."""

    @property
    def array_job_id(self) -> str | None:
        """The array job (the parent) the file's job is a child of, in bulk mode."""
        if self.job_id is None or self.array_index is None:
            return None
        return self.job_id.partition(":")[0]

    @property
    def input_uri(self) -> str:
        """``s3://bucket/key`` of the input object."""
        return f"s3://{self.bucket}/{self.key}"

    @property
    def waiting_since(self) -> float | None:
        """Since when the file waits: when it was received, else when its job was created."""
        return self.received_at if self.received_at is not None else self.submitted_at

    def log_url(self, region: str) -> str | None:
        """A CloudWatch console link to the job's log stream, when it has one."""
        if self.log_group is None or self.log_stream is None:
            return None
        return (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logsV2:log-groups/log-group/{_console_escape(self.log_group)}"
            f"/log-events/{_console_escape(self.log_stream)}"
        )


@dataclass(frozen=True)
class RunRecord:
    """A run: the files that arrived together (see :mod:`.runs`), and how many finished."""

    run_id: str
    """The run's ID: its start time (UTC) and a random suffix, so IDs sort by start."""
    files: int
    """Files that joined the run."""
    finished: int
    """Files in a final state."""
    succeeded: int
    """Files that succeeded."""
    failed: int
    """Files that failed."""
    first_seen: float
    """Epoch seconds when the first file joined."""
    last_seen: float
    """Epoch seconds when the latest file joined."""
    last_finished: float | None = None
    """Epoch seconds when the latest file reached a final state."""
    reported_at: float | None = None
    """Epoch seconds when the report was written and the summary published."""
    report_uri: str | None = None
    """``s3://`` URI of the run's report, once written."""

    @property
    def all_finished(self) -> bool:
        """Whether every file that joined is in a final state."""
        return self.finished >= self.files


def file_record(item: Mapping[str, Any]) -> FileRecord:
    """The :class:`FileRecord` of a low-level DynamoDB item."""
    return FileRecord(
        record_key=item[schema.PARTITION_KEY]["S"],
        bucket=_text(item, schema.BUCKET) or "",
        key=_text(item, schema.OBJECT_KEY) or "",
        state=schema.state_of_item(item),
        version_id=_text(item, schema.VERSION_ID),
        job_id=_text(item, schema.JOB_ID),
        job_name=_text(item, schema.JOB_NAME),
        batch_status=_text(item, schema.BATCH_STATUS),
        array_index=_integer(item, schema.ARRAY_INDEX),
        attempts=_integer(item, schema.ATTEMPTS),
        exit_code=_integer(item, schema.EXIT_CODE),
        status_reason=_text(item, schema.STATUS_REASON),
        log_group=_text(item, schema.LOG_GROUP),
        log_stream=_text(item, schema.LOG_STREAM),
        output_uri=_text(item, schema.OUTPUT_URI),
        run_id=_text(item, schema.RUN_ID),
        received_at=_number(item, schema.RECEIVED_AT),
        submitted_at=_number(item, schema.SUBMITTED_AT),
        started_at=_number(item, schema.STARTED_AT),
        finished_at=_number(item, schema.FINISHED_AT),
        duration_seconds=_number(item, schema.DURATION_SECONDS),
        log_line_prefix=_text(item, schema.LOG_LINE_PREFIX),
        manifest_uri=_text(item, schema.MANIFEST_URI),
    )


def run_record(item: Mapping[str, Any]) -> RunRecord:
    """The :class:`RunRecord` of a run item (low-level DynamoDB item)."""
    return RunRecord(
        run_id=item[schema.PARTITION_KEY]["S"].removeprefix(schema.RUN_KEY_PREFIX),
        files=_integer(item, schema.RUN_FILES) or 0,
        finished=_integer(item, schema.RUN_FINISHED) or 0,
        succeeded=_integer(item, schema.RUN_SUCCEEDED) or 0,
        failed=_integer(item, schema.RUN_FAILED) or 0,
        first_seen=_number(item, schema.RUN_FIRST_SEEN) or 0.0,
        last_seen=_number(item, schema.RUN_LAST_SEEN) or 0.0,
        last_finished=_number(item, schema.RUN_LAST_FINISHED),
        reported_at=_number(item, schema.RUN_REPORTED_AT),
        report_uri=_text(item, schema.RUN_REPORT_URI),
    )


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return None if value is None else str(value)


def _number(item: Mapping[str, Any], name: str) -> float | None:
    value = item.get(name, {}).get("N")
    return None if value is None else float(value)


def _integer(item: Mapping[str, Any], name: str) -> int | None:
    value = _number(item, name)
    return None if value is None else int(value)


def _console_escape(text: str) -> str:
    # The CloudWatch console's fragment wants URL escapes with "%" itself escaped as "$25".
    return quote(text, safe="").replace("%", "$25")
