"""The user's files uploaded to the input bucket, and the bucket's notifications delivered.

The notification configuration is the template's own (``Custom::S3BucketNotifications``): each
upload that matches a queue configuration's events and key filter sends that queue the event S3
sends, with the object's version and a sequencer; setting the configuration sends S3's test
event first, as S3 does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from .emulator import REGION
from .errors import LocalRunError


@dataclass(frozen=True)
class Upload:
    """One local file and the key it is uploaded under."""

    path: Path
    key: str


def uploads(paths: Iterable[Path], prefix: str = "") -> list[Upload]:
    """The files named (folders: every file under them, keyed by their path inside the folder)."""
    found = []
    for path in paths:
        if path.is_file():
            found.append(Upload(path, prefix + path.name))
        elif path.is_dir():
            found.extend(
                Upload(file, prefix + file.relative_to(path).as_posix())
                for file in sorted(path.rglob("*"))
                if file.is_file()
            )
        else:
            raise LocalRunError(f"{path} does not exist; name files or folders to upload")
    if not found:
        raise LocalRunError("no files to upload: the folders named are empty")
    return found


@dataclass(frozen=True)
class QueueNotification:
    """A queue configuration of the input bucket's notifications, resolved."""

    queue_url: str
    events: tuple[str, ...]
    prefix: str
    suffix: str

    def wants(self, key: str) -> bool:
        """Whether an ``ObjectCreated:Put`` of ``key`` is sent to this queue."""
        created = any(
            event in ("s3:ObjectCreated:*", "s3:ObjectCreated:Put") for event in self.events
        )
        return created and key.startswith(self.prefix) and key.endswith(self.suffix)


def queue_notifications(
    notification_config: dict[str, Any], queue_urls: dict[str, str]
) -> list[QueueNotification]:
    """The queue configurations of a resolved ``NotificationConfiguration`` (by queue ARN)."""
    found = []
    for config in notification_config.get("QueueConfigurations", []):
        rules = {
            rule["Name"].lower(): rule["Value"]
            for rule in config.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        }
        found.append(
            QueueNotification(
                queue_url=queue_urls[config["QueueArn"]],
                events=tuple(config.get("Events", [])),
                prefix=rules.get("prefix", ""),
                suffix=rules.get("suffix", ""),
            )
        )
    return found


def test_event(bucket: str) -> dict[str, Any]:
    """The message S3 sends a queue when a notification configuration is set."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": now, "Bucket": bucket}


def upload(
    s3: Any, sqs: Any, bucket: str, item: Upload, notifications: list[QueueNotification]
) -> None:
    """Upload ``item`` and send its ``ObjectCreated:Put`` event where the configuration says."""
    data = item.path.read_bytes()
    put = s3.put_object(Bucket=bucket, Key=item.key, Body=data)
    obj: dict[str, Any] = {
        "key": quote_plus(item.key, safe="/"),
        "size": len(data),
        "eTag": put["ETag"].strip('"'),
        "sequencer": f"{time.time_ns():020X}",
    }
    if put.get("VersionId"):
        obj["versionId"] = put["VersionId"]
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "local"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "local",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "local"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }
    for notification in notifications:
        if notification.wants(item.key):
            sqs.send_message(
                QueueUrl=notification.queue_url, MessageBody=json.dumps({"Records": [record]})
            )
