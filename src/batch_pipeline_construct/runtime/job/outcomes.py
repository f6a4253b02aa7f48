"""Per-file outcomes of an array child, kept in one JSON object beside the manifest (public API).

Child ``i`` of the manifest ``s3://b/_manifests/ID.json`` writes
``s3://b/_manifests/ID/outcomes/i.json`` (see :func:`.manifest.outcomes_uri`)::

    {"version": 1, "manifestUri": "s3://b/_manifests/ID.json", "child": 3,
     "files": {"12": {"index": 12, "inputUri": "s3://in/a.csv", "versionId": null,
                      "outputUri": "s3://out/a.csv/", "status": "failed", "exitCode": 3,
                      "attempts": 1, "reason": "exit code 3 (do not retry): bad header",
                      "startedAt": "2026-11-24T10:00:00Z", "durationSeconds": 0.8,
                      "log": {"group": "/aws/batch/job", "stream": "…", "linePrefix": "[12] "}},
               ...}}

The object is rewritten after every file, so it always holds every finished file: a new attempt
of the child (after a Spot reclaim or a host failure) reads it and skips them, and whoever reads
the outcomes (the completion side, an operator) needs one GET per child. The job role needs
only S3 (no table), so containers written in any language can keep the record.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from .contract import JobContract
from .errors import OutcomesUnwritable, StorageUnavailable
from .manifest import split_s3_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "OUTCOMES_VERSION",
    "ChildOutcomes",
    "FileOutcome",
    "LogLocation",
    "log_location",
]

OUTCOMES_VERSION = 1
"""The format version written in every outcomes object."""
_METADATA_URI = "ECS_CONTAINER_METADATA_URI_V4"


@dataclass(frozen=True)
class LogLocation:
    """Where a file's output lines are: the container's log stream, each line with a prefix."""

    group: str
    """The CloudWatch Logs group."""
    stream: str
    """The log stream of the container that ran the file."""
    line_prefix: str = ""
    """The prefix of the file's lines in that stream."""

    def to_json(self) -> dict[str, str]:
        """The location as written in an outcome."""
        return {"group": self.group, "stream": self.stream, "linePrefix": self.line_prefix}


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file of a job."""

    index: int | None
    """The file's entry in the manifest (None for a per-file job)."""
    contract: JobContract
    """The file's job contract."""
    status: Literal["succeeded", "failed"]
    """Succeeded, or failed for good."""
    exit_code: int
    """The last attempt's exit code."""
    attempts: int
    """How many times the command ran for it."""
    reason: str | None
    """Why it failed (None when it succeeded)."""
    started_at: datetime
    """When its first attempt started."""
    duration_seconds: float
    """From its first attempt's start to its last attempt's end."""
    log: LogLocation | None
    """Where its output lines are (None when the container does not know its log stream)."""

    def to_json(self) -> dict[str, Any]:
        """The outcome as written in the child's outcomes object and logged."""
        return {
            "index": self.index,
            "inputUri": self.contract.input_uri,
            "versionId": self.contract.version_id,
            "outputUri": self.contract.output_uri,
            "status": self.status,
            "exitCode": self.exit_code,
            "attempts": self.attempts,
            "reason": self.reason,
            "startedAt": self.started_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "durationSeconds": round(self.duration_seconds, 3),
            "log": None if self.log is None else self.log.to_json(),
        }


class ChildOutcomes:
    """The outcomes object of one array child: read once to resume, rewritten after each file.

    Writes are coalesced: while one PUT is under way, outcomes recorded meanwhile go out with the
    next one, so files finishing side by side do not queue a PUT each.
    """

    def __init__(self, s3: S3Client, uri: str, *, manifest_uri: str, child: int) -> None:
        self._s3 = s3
        self._bucket, self._key = split_s3_uri(uri)
        self._uri = uri
        self._document: dict[str, Any] = {
            "version": OUTCOMES_VERSION,
            "manifestUri": manifest_uri,
            "child": child,
            "files": {},
        }
        self._lock = threading.Lock()
        self._writing = False
        self._dirty = False
        self._error: Exception | None = None
        self.puts = 0
        """PUT requests made (each rewrites the whole object)."""

    def load(self) -> Mapping[int, Mapping[str, Any]]:
        """The outcomes an earlier attempt of this child recorded (none on a first attempt)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=self._key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return {}
            raise StorageUnavailable(f"cannot read the outcomes {self._uri}: {error}") from None
        except BotoCoreError as error:
            raise StorageUnavailable(f"cannot read the outcomes {self._uri}: {error}") from None
        try:
            earlier = json.loads(body)["files"]
            files = {int(index): dict(outcome) for index, outcome in earlier.items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            return {}  # unreadable: every file runs again, as on a first attempt
        self._document["files"] = {str(index): outcome for index, outcome in files.items()}
        return files

    def record(self, outcome: FileOutcome) -> None:
        """Add ``outcome`` and write the object (or leave it to the write under way)."""
        with self._lock:
            self._document["files"][str(outcome.index)] = outcome.to_json()
            self._dirty = True
            if self._writing:
                return
            self._writing = True
        self._drain()

    def flush(self) -> None:
        """Make sure every recorded outcome is in S3; :class:`OutcomesUnwritable` if it cannot be."""
        with self._lock:
            self._dirty = True
            self._writing = True
        self._drain()
        if self._error is not None:
            raise OutcomesUnwritable(f"cannot write the outcomes {self._uri}: {self._error}")

    def _drain(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        while True:
            with self._lock:
                if not self._dirty:
                    self._writing = False
                    return
                self._dirty = False
                body = json.dumps(self._document, ensure_ascii=False, separators=(",", ":"))
            try:
                self.puts += 1
                self._s3.put_object(
                    Bucket=self._bucket,
                    Key=self._key,
                    Body=body.encode(),
                    ContentType="application/json",
                )
                self._error = None
            except (BotoCoreError, ClientError) as error:
                # Kept for flush(): the next file's write carries this file's outcome too.
                self._error = error
                with self._lock:
                    self._writing = False
                return


def log_location(environ: Mapping[str, str], line_prefix: str = "") -> LogLocation | None:
    """This container's log group and stream, from the ECS task metadata endpoint (v4).

    AWS Batch on ECS and Fargate sets ``ECS_CONTAINER_METADATA_URI_V4``; elsewhere (a local run)
    there is none, and the outcome has no log location.
    """
    uri = environ.get(_METADATA_URI)
    if not uri:
        return None
    import urllib.request

    try:
        with urllib.request.urlopen(uri, timeout=2) as response:  # noqa: S310 (an http URI from ECS)
            options = json.load(response).get("LogOptions") or {}
    except (OSError, ValueError, AttributeError):
        return None
    group, stream = options.get("awslogs-group"), options.get("awslogs-stream")
    if not isinstance(group, str) or not isinstance(stream, str):
        return None
    return LogLocation(group, stream, line_prefix)
