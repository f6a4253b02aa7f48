"""``batch-pipeline retry``: run again exactly the files that failed.

The files are the failed (and dead-lettered) files of a run (``--run``, default the current
run), or the keys given with ``--key`` or ``--keys-from`` (one a line; ``-`` reads stdin), each
at its current version. A file is taken out of its failed state with a conditional write, then
goes through the arrival code like a new arrival (see :mod:`.submitting`): two operators retrying
the same file start one job, and a file that is no longer failed (it succeeded, or is running
again) is skipped. ``reprocess --force`` is the way to run again files that did not fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import clients
from ..arrival.s3_events import ObjectRef
from ..records import query, schema
from ..records.model import FileRecord, file_record
from ..records.query import RecordsTable
from .arguments import add_submit_options
from .errors import EXIT_INCOMPLETE, EXIT_OK, OperatorError
from .failed import run_of
from .file_records import RETRYABLE_STATES, records_table, reopen
from .output import emit, plural
from .progress import Progress
from .submitting import RETRY_EVENT, SubmitResult, submit_files
from .target import locate
from .throttle import TokenBucket

if TYPE_CHECKING:
    from ..settings import ArrivalSettings
    from .cli import Commands


@dataclass
class RetryResult:
    """What ``retry`` did."""

    selected: int = 0
    """Files asked for."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Files not retried, by reason."""
    submitted: SubmitResult = field(default_factory=SubmitResult)
    """What became of the files retried."""

    def as_dict(self) -> dict[str, Any]:
        """The result for ``--json``."""
        return {
            "selected": self.selected,
            "skipped": dict(self.skipped),
            "outcomes": {
                name: self.submitted.outcomes[name] for name in sorted(self.submitted.outcomes)
            },
            "submit_calls": self.submitted.submit_calls,
            "failures": self.submitted.failures,
        }


def ref_of(record: FileRecord) -> ObjectRef:
    """The object version a file record is about."""
    _, _, sequencer = record.record_key.partition("#sequencer=")
    return ObjectRef(
        bucket=record.bucket,
        key=record.key,
        version_id=record.version_id,
        sequencer=sequencer or None,
        event_name=RETRY_EVENT,
    )


def with_size(ref: ObjectRef) -> ObjectRef:
    """``ref`` with its object's size (``INPUT_SIZE`` of its job), which a file record does not
    keep: one HeadObject. A version gone or unreadable (any 4xx) keeps no size: its job then
    fails as it would have without one."""
    from botocore.exceptions import ClientError

    s3 = clients.s3()
    try:
        if ref.version_id is None:
            head = s3.head_object(Bucket=ref.bucket, Key=ref.key)
        else:
            head = s3.head_object(Bucket=ref.bucket, Key=ref.key, VersionId=ref.version_id)
    except ClientError as error:
        if 400 <= error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) < 500:
            return ref
        raise
    return dataclasses.replace(ref, size=head.get("ContentLength"))


def records_of_keys(
    table: RecordsTable, settings: ArrivalSettings, keys: list[str]
) -> list[tuple[ObjectRef, FileRecord | None]]:
    """Each key's current version in the input bucket, and its record if it has one."""
    from botocore.exceptions import ClientError

    found: list[tuple[ObjectRef, FileRecord | None]] = []
    for key in keys:
        try:
            head = clients.s3().head_object(Bucket=settings.input_bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise OperatorError(
                    f"no object {key!r} in the input bucket {settings.input_bucket!r}"
                ) from error
            raise
        version = head.get("VersionId")
        ref = ObjectRef(
            bucket=settings.input_bucket,
            key=key,
            version_id=version if version and version != "null" else None,
            size=head.get("ContentLength"),
            etag=head.get("ETag"),
            event_name=RETRY_EVENT,
        )
        record_key = schema.record_key(ref.bucket, key, version_id=ref.version_id)
        item = None
        if record_key is not None:
            item = table.client.get_item(
                TableName=table.name,
                Key={schema.PARTITION_KEY: {"S": record_key}},
                ConsistentRead=True,
            ).get("Item")
        found.append((ref, None if item is None else file_record(item)))
    return found


def retry(
    settings: ArrivalSettings,
    table: RecordsTable,
    files: list[tuple[ObjectRef, FileRecord | None]],
    *,
    bucket: TokenBucket,
    progress: Progress,
    workers: int = 8,
    log: Any = None,
    now: float | None = None,
) -> RetryResult:
    """Reopen each failed file of ``files`` and submit it through the arrival code."""
    result = RetryResult(selected=len(files))
    moment = time.time() if now is None else now
    states = tuple(state.value for state in RETRYABLE_STATES)
    chosen: list[ObjectRef] = []
    for ref, record in files:
        if record is not None and record.state not in RETRYABLE_STATES:
            result.skipped[f"not failed ({record.state.value})"] += 1
        elif record is not None and not reopen(table, ref, states=states, now=moment):
            result.skipped["no longer failed"] += 1
        else:
            chosen.append(ref if ref.size is not None else with_size(ref))
    result.submitted = submit_files(
        chosen, settings, bucket=bucket, progress=progress, workers=workers, log=log
    )
    return result


def register(commands: Commands) -> None:
    """Add ``retry`` to the command line."""
    parser = commands.add(
        "retry",
        help="run again exactly the failed files of a run, or the files given",
        run=run,
    )
    which = parser.add_argument_group("which files (default: the current run's failed files)")
    which.add_argument(
        "--run", dest="run_id", metavar="RUN_ID", help="the failed files of this run"
    )
    which.add_argument(
        "--key", action="append", default=[], metavar="KEY", help="this input key (repeatable)"
    )
    which.add_argument(
        "--keys-from",
        type=argparse.FileType("r", encoding="utf-8"),
        metavar="FILE",
        help="input keys, one a line (- for stdin, e.g. from `failed --keys-only`)",
    )
    add_submit_options(parser)


def run(args: argparse.Namespace) -> int:
    """The body of ``batch-pipeline retry``."""
    settings = locate(args).settings
    table = records_table(settings)
    keys = list(args.key)
    if args.keys_from is not None:
        keys += [line.rstrip("\n") for line in args.keys_from if line.strip()]
    if keys and args.run_id is not None:
        raise OperatorError("give --run or keys (--key, --keys-from), not both")
    if keys:
        files = records_of_keys(table, settings, keys)
        scope = plural(len(files), "file") + " given"
    else:
        run_id = run_of(table, args.run_id)
        files = [(ref_of(record), record) for record in query.failed_files(table, run_id)]
        scope = f"the failed files of run {run_id}"
    result = retry(
        settings,
        table,
        files,
        bucket=TokenBucket(args.rate),
        progress=Progress("retrying"),
        workers=args.workers,
        log=args.log,
    )
    outcomes = result.submitted.outcomes
    lines = [
        f"retried {plural(sum(outcomes.values()), 'file')} of {scope}:"
        f" {outcomes['submitted']:,} submitted, {outcomes['duplicate']:,} already had a job,"
        f" {outcomes['in-progress']:,} being submitted elsewhere, {outcomes['failed']:,} failed"
    ]
    lines += [f"skipped {plural(count, 'file')}: {why}" for why, count in result.skipped.items()]
    lines += [f"failed: {f['key']}: {f['reason']}" for f in result.submitted.failures[:20]]
    emit(result.as_dict(), "\n".join(lines), as_json=args.json)
    return EXIT_INCOMPLETE if outcomes["failed"] else EXIT_OK
