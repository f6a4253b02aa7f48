"""``batch-pipeline reprocess``: start jobs for objects already in the input bucket.

It lists the input bucket (for example the objects uploaded before the pipeline existed) and
keeps exactly the objects the bucket notification would have announced: the pipeline's trigger
prefix and suffixes (from its settings), never folder markers, and, when input and output share
a bucket, never the pipeline's own outputs, manifests or run reports. ``--prefix`` and
``--suffix`` narrow that further.

Each object's current version then goes through the arrival code (see :mod:`.submitting`):
claimed in the file-records table, so a version that already has a job starts none (counted
``duplicate``) unless ``--force`` forgets its claim first; submitted one job per file, or as
array jobs in bulk mode; paced by the SubmitJob token bucket. In a bucket without versioning a
file cannot be told from a processed one, so reprocess asks for ``--force`` there.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import clients
from ..arrival.s3_events import ObjectRef
from ..records.report import RUN_REPORT_PREFIX
from ..settings import JOB_NAME_PREFIX, ArrivalSettings
from .arguments import add_submit_options
from .errors import EXIT_INCOMPLETE, EXIT_OK, OperatorError
from .file_records import records_table, reopen
from .output import emit, plural
from .progress import Progress
from .submitting import REPROCESS_EVENT, SubmitResult, submit_files
from .throttle import TokenBucket

if TYPE_CHECKING:
    from .cli import Commands


@dataclass
class Selection:
    """Why listed objects were kept or left out."""

    listed: int = 0
    """Objects listed under the prefix."""
    left_out: Counter[str] = field(default_factory=Counter)
    """Objects left out, by reason."""


def pipeline_outputs(settings: ArrivalSettings) -> tuple[str, ...]:
    """Key prefixes the pipeline itself writes to in the input bucket (when it is shared)."""
    if settings.input_bucket != settings.output_bucket:
        return ()
    prefixes = (settings.output_root_prefix, settings.manifest_prefix, RUN_REPORT_PREFIX)
    return tuple(prefix for prefix in prefixes if prefix)


def is_versioned(settings: ArrivalSettings) -> bool:
    """Whether the input bucket keeps versions (so each object version is identified)."""
    status = clients.s3().get_bucket_versioning(Bucket=settings.input_bucket).get("Status")
    return status == "Enabled"


def listed_objects(
    settings: ArrivalSettings, *, prefix: str, versioned: bool
) -> Iterator[ObjectRef]:
    """The current version of every object under ``prefix`` in the input bucket."""
    s3 = clients.s3()
    bucket = settings.input_bucket
    if versioned:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            for version in page.get("Versions", []):
                if version.get("IsLatest"):
                    yield ObjectRef(
                        bucket=bucket,
                        key=version["Key"],
                        version_id=version.get("VersionId"),
                        size=version.get("Size"),
                        etag=version.get("ETag"),
                        event_name=REPROCESS_EVENT,
                    )
        return
    for listing in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in listing.get("Contents", []):
            yield ObjectRef(
                bucket=bucket,
                key=item["Key"],
                size=item.get("Size"),
                etag=item.get("ETag"),
                event_name=REPROCESS_EVENT,
            )


def select(
    objects: Iterable[ObjectRef], settings: ArrivalSettings, *, suffix: str, selection: Selection
) -> Iterator[ObjectRef]:
    """The objects the bucket notification would announce (and that end in ``suffix``)."""
    outputs = pipeline_outputs(settings)
    for ref in objects:
        selection.listed += 1
        if ref.key.endswith("/"):
            selection.left_out["folder marker"] += 1
        elif outputs and ref.key.startswith(outputs):
            selection.left_out["written by the pipeline (outputs, manifests, reports)"] += 1
        elif not settings.triggers(ref.key):
            selection.left_out["outside the pipeline's trigger"] += 1
        elif not ref.key.endswith(suffix):
            selection.left_out[f"not ending in {suffix!r}"] += 1
        else:
            yield ref


def reprocess(
    settings: ArrivalSettings,
    *,
    prefix: str = "",
    suffix: str = "",
    force: bool = False,
    bucket: TokenBucket,
    progress: Progress,
    workers: int = 8,
    log: Any = None,
) -> tuple[Selection, SubmitResult]:
    """List, select and submit (see the module documentation)."""
    versioned = is_versioned(settings)
    if not versioned and not force:
        raise OperatorError(
            f"the input bucket {settings.input_bucket!r} is not versioned, so reprocess cannot"
            " tell processed files from new ones; pass --force to submit every file it selects"
        )
    selection = Selection()
    chosen = select(
        listed_objects(settings, prefix=prefix, versioned=versioned),
        settings,
        suffix=suffix,
        selection=selection,
    )
    if force and settings.file_records_table:
        chosen = _reopened(chosen, settings)
    result = submit_files(
        chosen, settings, bucket=bucket, progress=progress, workers=workers, log=log
    )
    return selection, result


def _reopened(refs: Iterable[ObjectRef], settings: ArrivalSettings) -> Iterator[ObjectRef]:
    table = records_table(settings)
    for ref in refs:
        if reopen(table, ref, states=(), now=time.time()):
            yield ref


def register(commands: Commands) -> None:
    """Add ``reprocess`` to the command line."""
    parser = commands.add(
        "reprocess",
        help="start jobs for objects already in the input bucket that the trigger would match",
        run=run,
    )
    parser.add_argument("--prefix", default="", help="only keys that start with this")
    parser.add_argument("--suffix", default="", help="only keys that end with this")
    parser.add_argument(
        "--force", action="store_true", help="process again files that already had a job"
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be submitted")
    add_submit_options(parser)


def run(args: argparse.Namespace) -> int:
    """The body of ``batch-pipeline reprocess``."""
    from .target import locate

    settings = locate(args).settings
    if args.dry_run:
        return _dry_run(settings, args)
    selection, result = reprocess(
        settings,
        prefix=args.prefix,
        suffix=args.suffix,
        force=args.force,
        bucket=TokenBucket(args.rate),
        progress=Progress("reprocessing"),
        workers=args.workers,
        log=args.log,
    )
    outcomes = result.outcomes
    document = {
        "listed": selection.listed,
        "left_out": dict(selection.left_out),
        "outcomes": {name: outcomes[name] for name in sorted(outcomes)},
        "submit_calls": result.submit_calls,
        "failures": result.failures,
    }
    lines = [_selection_line(selection, sum(outcomes.values()))]
    lines.append(
        f"{outcomes['submitted']:,} submitted, {outcomes['duplicate']:,} already had a job"
        + ("" if args.force else " (--force processes them again)")
        + f", {outcomes['in-progress']:,} being submitted elsewhere, {outcomes['failed']:,} failed;"
        f" {plural(result.submit_calls, 'SubmitJob call')}"
    )
    lines += [f"failed: {f['key']}: {f['reason']}" for f in result.failures[:20]]
    emit(document, "\n".join(lines), as_json=args.json)
    return EXIT_INCOMPLETE if outcomes["failed"] else EXIT_OK


def _selection_line(selection: Selection, kept: int) -> str:
    line = f"listed {plural(selection.listed, 'object')}, {kept:,} selected"
    if selection.left_out:
        reasons = "; ".join(f"{why}: {count:,}" for why, count in selection.left_out.items())
        line += f" (left out: {reasons})"
    return line


def _dry_run(settings: ArrivalSettings, args: argparse.Namespace) -> int:
    from ..arrival.dispatch import contract_for

    selection = Selection()
    versioned = is_versioned(settings)
    chosen = list(
        select(
            listed_objects(settings, prefix=args.prefix, versioned=versioned),
            settings,
            suffix=args.suffix,
            selection=selection,
        )
    )
    files = [
        {
            "uri": f"s3://{ref.bucket}/{ref.key}",
            "version_id": ref.version_id,
            "job_name": contract_for(ref, settings).job_name(JOB_NAME_PREFIX),
        }
        for ref in chosen
    ]
    lines = [f"would submit {file['job_name']} for {file['uri']}" for file in files]
    lines.append(_selection_line(selection, len(files)))
    emit(
        {"listed": selection.listed, "left_out": dict(selection.left_out), "would_submit": files},
        "\n".join(lines),
        as_json=args.json,
    )
    return EXIT_OK
