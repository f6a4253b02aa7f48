"""A packed array child's per-file outcomes, read into the fields of its files' records.

A child of a packed array job runs many files and writes what became of each one beside the
manifest (:mod:`..job.outcomes`, ``_manifests/ID/outcomes/<child>.json``). When the child's final
event arrives, each of its files takes its state, exit code, reason, attempts, log and duration
from its own outcome, not from the child's status: one bad file in a child of 300 fails alone.
A file with no outcome (the child died before it got to the file, or could not write the
object) keeps the child's status and reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..job.manifest import outcomes_uri, split_s3_uri
from . import schema
from .schema import FileState

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["ChildOutcomeReader", "OutcomesOfChild", "record_fields"]

_STATES = {"succeeded": FileState.SUCCEEDED, "failed": FileState.FAILED}


@dataclass(frozen=True)
class OutcomesOfChild:
    """The outcomes one child recorded, looked up by input object."""

    uri: str
    """Where they were read from."""
    by_object: Mapping[tuple[str, str, str | None], Mapping[str, Any]]
    """Outcome of each ``(bucket, key, version ID)`` (version ID None when the entry has none)."""

    def of(self, record_key: str) -> Mapping[str, Any] | None:
        """The outcome of the object version whose record has ``record_key``, if recorded."""
        bucket, key = schema.object_of_record_key(record_key)
        _, marker, version = record_key.rpartition("#version=")
        exact = self.by_object.get((bucket, key, version if marker else None))
        if exact is not None:
            return exact
        if marker:
            return self.by_object.get((bucket, key, None))
        # A bucket without versioning: the record is keyed by sequencer, the outcome by key.
        return next(
            (found for (b, k, _), found in self.by_object.items() if (b, k) == (bucket, key)), None
        )


class ChildOutcomeReader:
    """Reads array children's outcome objects from the output bucket (one GET per child)."""

    def __init__(self, client: S3Client) -> None:
        self._client = client

    def read(self, manifest_uri: str, child: int) -> OutcomesOfChild:
        """Child ``child``'s outcomes; none when it wrote no object (or an unreadable one).

        Any other S3 error is raised, so the event is delivered again.
        """
        uri = outcomes_uri(manifest_uri, child)
        bucket, key = split_s3_uri(uri)
        try:
            body = self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return OutcomesOfChild(uri, {})
            raise
        try:
            files = json.loads(body)["files"].values()
            by_object = {_object_of(outcome): dict(outcome) for outcome in files}
        except (ValueError, KeyError, TypeError, AttributeError):
            return OutcomesOfChild(uri, {})
        return OutcomesOfChild(uri, by_object)


def record_fields(outcome: Mapping[str, Any]) -> dict[str, str | int | float | None]:
    """The record's fields that a file's outcome sets (None: not recorded, left alone)."""
    log: Mapping[str, Any] = outcome.get("log") or {}
    started = _epoch(outcome.get("startedAt"))
    duration = _float(outcome.get("durationSeconds"))
    state = _STATES.get(str(outcome.get("status")), FileState.FAILED)
    return {
        schema.STATE: state.value,
        schema.EXIT_CODE: _int(outcome.get("exitCode")),
        schema.ATTEMPTS: _int(outcome.get("attempts")),
        schema.STATUS_REASON: outcome.get("reason") if state is FileState.FAILED else None,
        schema.LOG_GROUP: log.get("group"),
        schema.LOG_STREAM: log.get("stream"),
        schema.LOG_LINE_PREFIX: log.get("linePrefix") or None,
        schema.OUTPUT_URI: outcome.get("outputUri"),
        schema.STARTED_AT: started,
        schema.DURATION_SECONDS: duration,
        schema.FINISHED_AT: None if started is None or duration is None else started + duration,
    }


def _object_of(outcome: Mapping[str, Any]) -> tuple[str, str, str | None]:
    bucket, key = split_s3_uri(str(outcome["inputUri"]))
    version = outcome.get("versionId")
    return bucket, key, None if version is None else str(version)


def _epoch(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None
