"""``batch-pipeline reprocess``: start jobs for objects already in the input bucket.

It lists the input bucket (for example the objects uploaded before the pipeline existed) and
submits each object through the arrival function's own submission code.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import clients
from ..arrival.s3_events import ObjectRef
from ..settings import JOB_NAME_PREFIX, ArrivalSettings
from .errors import EXIT_INCOMPLETE, EXIT_OK
from .output import emit
from .target import locate

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from .cli import Commands

_REPROCESS_LEASE_SECONDS = 900.0


def existing_objects(
    settings: ArrivalSettings, *, prefix: str = "", suffix: str = "", s3: S3Client | None = None
) -> Iterator[ObjectRef]:
    """The objects in the input bucket under ``prefix`` ending in ``suffix``, folders left out."""
    client = s3 or clients.s3()
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.input_bucket, Prefix=prefix
    )
    for page in pages:
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith(suffix) and not key.endswith("/"):
                yield ObjectRef(
                    bucket=settings.input_bucket,
                    key=key,
                    size=item.get("Size"),
                    etag=item.get("ETag"),
                    event_name="Reprocess",
                )


def reprocess(
    settings: ArrivalSettings, *, prefix: str = "", suffix: str = "", dry_run: bool = False
) -> dict[str, int]:
    """Submit one job per existing object; return the counts ``listed``, ``submitted``,
    ``failed`` and ``retries``."""
    from ..arrival.dispatch import Dispatcher, contract_for
    from ..arrival.submission import Submitter

    dispatcher = Dispatcher(
        settings,
        Submitter.from_settings(settings, clients.batch()),
        None,
        lease_seconds=_REPROCESS_LEASE_SECONDS,
    )
    counts = {"listed": 0, "submitted": 0, "failed": 0}
    for ref in existing_objects(settings, prefix=prefix, suffix=suffix):
        counts["listed"] += 1
        if dry_run:
            name = contract_for(ref, settings).job_name(JOB_NAME_PREFIX)
            print(f"would submit {name} for s3://{ref.bucket}/{ref.key}")
            continue
        outcome = dispatcher.dispatch(ref)
        outcome.log()
        counts["submitted" if outcome.done else "failed"] += 1
    counts["retries"] = dispatcher.submitter.retries
    return counts


def register(commands: Commands) -> None:
    """Add ``reprocess`` to the command line."""
    parser = commands.add(
        "reprocess",
        help="start jobs for objects already in the input bucket",
        run=run,
    )
    parser.add_argument("--prefix", default="", help="only keys that start with this")
    parser.add_argument("--suffix", default="", help="only keys that end with this")
    parser.add_argument("--dry-run", action="store_true", help="list, do not submit")


def run(args: argparse.Namespace) -> int:
    """The body of ``batch-pipeline reprocess``."""
    target = locate(args)
    counts = reprocess(
        target.settings, prefix=args.prefix, suffix=args.suffix, dry_run=args.dry_run
    )
    emit(counts, " ".join(f"{name}={count}" for name, count in counts.items()), as_json=args.json)
    return EXIT_INCOMPLETE if counts["failed"] else EXIT_OK
