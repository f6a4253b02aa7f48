"""Parse the body of one arrival-queue message (an S3 event notification) into object references.

S3 percent-encodes object keys in notifications the way HTML forms do (``+`` for a space,
``%2B`` for a literal plus, UTF-8 bytes as ``%XX``), so keys are decoded here, once, and every
other module works with the key exactly as the user wrote it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_plus


class MalformedReason(StrEnum):
    """Why a message cannot be processed; sent with it to the dead-letter queue."""

    NOT_JSON = "body-not-json"
    """The message body is not JSON."""
    NOT_S3_EVENT = "not-an-s3-event"
    """The body is JSON but not an S3 event notification (or a record in it is incomplete)."""
    UNKNOWN_BUCKET = "unknown-bucket"
    """The notification is for a bucket other than the pipeline's input bucket."""


class MalformedMessage(Exception):
    """A message that no retry can make processable."""

    def __init__(self, reason: MalformedReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        """The category, for alarms and the dead-letter message's attributes."""
        self.detail = detail
        """What exactly was wrong, for the operator."""


@dataclass(frozen=True)
class ObjectRef:
    """An object that arrived in the input bucket, as one S3 event record describes it."""

    bucket: str
    """The bucket's name."""
    key: str
    """The object key, decoded (as the user wrote it)."""
    version_id: str | None = None
    """The object version, when the bucket is versioned."""
    sequencer: str | None = None
    """S3's ordering token for events on this key; distinct for every write of the key."""
    size: int | None = None
    """The object size in bytes."""
    etag: str | None = None
    """The object ETag."""
    event_name: str = "ObjectCreated:Put"
    """The S3 event name, for example ``ObjectCreated:CompleteMultipartUpload``."""


@dataclass(frozen=True)
class Ignored:
    """An event record that is deliberately not processed (not an error)."""

    reason: str
    """``test-event``, ``folder-marker`` or ``not-object-created``."""
    key: str | None = None
    """The decoded key, when the record had one."""
    event_name: str | None = None
    """The S3 event name, when the record had one."""


@dataclass(frozen=True)
class S3Notification:
    """What one message contained: the objects to process and the records ignored."""

    objects: tuple[ObjectRef, ...]
    """Created objects, in the order of the notification's records."""
    ignored: tuple[Ignored, ...] = ()
    """Test events, folder markers and non-creation events."""


def parse_body(body: str, input_bucket: str) -> S3Notification:
    """Parse one message body; raise :class:`MalformedMessage` when it cannot be processed.

    Every record of the notification is read. A message is malformed as a whole when any record
    in it is incomplete or names another bucket, so that nothing in it is half-processed.
    """
    try:
        document = json.loads(body)
    except (ValueError, TypeError) as error:
        raise MalformedMessage(MalformedReason.NOT_JSON, str(error)) from error
    if not isinstance(document, dict):
        raise MalformedMessage(MalformedReason.NOT_S3_EVENT, "the body is not a JSON object")
    if document.get("Event") == "s3:TestEvent":
        return S3Notification(objects=(), ignored=(Ignored("test-event"),))
    records = document.get("Records")
    if not isinstance(records, list) or not records:
        raise MalformedMessage(MalformedReason.NOT_S3_EVENT, "no 'Records' list in the body")
    objects: list[ObjectRef] = []
    ignored: list[Ignored] = []
    for index, record in enumerate(records):
        parsed = _parse_record(record, index, input_bucket)
        if isinstance(parsed, ObjectRef):
            objects.append(parsed)
        else:
            ignored.append(parsed)
    return S3Notification(objects=tuple(objects), ignored=tuple(ignored))


def _parse_record(record: Any, index: int, input_bucket: str) -> ObjectRef | Ignored:
    def fail(what: str) -> MalformedMessage:
        return MalformedMessage(MalformedReason.NOT_S3_EVENT, f"record {index}: {what}")

    if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
        raise fail("not an 'aws:s3' event record")
    event_name = record.get("eventName")
    s3 = record.get("s3")
    if not isinstance(event_name, str) or not isinstance(s3, dict):
        raise fail("missing 'eventName' or 's3'")
    bucket = s3.get("bucket")
    obj = s3.get("object")
    if not isinstance(bucket, dict) or not isinstance(obj, dict):
        raise fail("missing 's3.bucket' or 's3.object'")
    bucket_name = bucket.get("name")
    raw_key = obj.get("key")
    if not isinstance(bucket_name, str) or not isinstance(raw_key, str):
        raise fail("missing 's3.bucket.name' or 's3.object.key'")
    if bucket_name != input_bucket:
        raise MalformedMessage(
            MalformedReason.UNKNOWN_BUCKET,
            f"record {index}: bucket {bucket_name!r} is not the input bucket {input_bucket!r}",
        )
    try:
        key = unquote_plus(raw_key, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise fail(f"key is not percent-encoded UTF-8: {error}") from error
    if not event_name.startswith("ObjectCreated:"):
        return Ignored("not-object-created", key=key, event_name=event_name)
    if key.endswith("/"):
        return Ignored("folder-marker", key=key, event_name=event_name)
    size = obj.get("size")
    return ObjectRef(
        bucket=bucket_name,
        key=key,
        version_id=_optional_str(obj.get("versionId")),
        sequencer=_optional_str(obj.get("sequencer")),
        size=size if isinstance(size, int) else None,
        etag=_optional_str(obj.get("eTag")),
        event_name=event_name,
    )


def _optional_str(value: Any) -> str | None:
    # S3 sends "versionId": "null" for objects written while versioning was suspended.
    return value if isinstance(value, str) and value and value != "null" else None
