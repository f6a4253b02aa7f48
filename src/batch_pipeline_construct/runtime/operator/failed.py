"""``batch-pipeline failed``: the failed files of a run, with reason, exit code and log link.

The run is the current one (the latest), or ``--run RUN_ID``; ``--keys-only`` prints just the
input keys, one a line, ready for ``retry --keys-from -``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..records import query
from ..records.model import FileRecord
from ..records.query import RecordsTable
from .errors import EXIT_OK, OperatorError
from .file_records import records_table
from .output import emit, plural
from .target import locate

if TYPE_CHECKING:
    from .cli import Commands


def run_of(table: RecordsTable, run_id: str | None) -> str:
    """``run_id`` when the record has that run, else the current run's ID."""
    if run_id is not None:
        if query.get_run(table, run_id) is None:
            raise OperatorError(f"no run {run_id!r} in the pipeline's record")
        return run_id
    current = query.current_run(table)
    if current is None:
        raise OperatorError("the pipeline's record has no run yet")
    return current.run_id


def describe(record: FileRecord, region: str) -> dict[str, Any]:
    """One failed file, JSON-ready."""
    return {
        "uri": record.input_uri,
        "key": record.key,
        "version_id": record.version_id,
        "state": record.state.value,
        "exit_code": record.exit_code,
        "reason": record.status_reason,
        "attempts": record.attempts,
        "job_id": record.job_id,
        "log_url": record.log_url(region),
        "output_uri": record.output_uri,
    }


def render(run_id: str, files: list[dict[str, Any]]) -> str:
    """The failed files for a person: one line each, the log link under it."""
    lines = [f"{plural(len(files), 'failed file')} in run {run_id}"]
    for file in files:
        code = "-" if file["exit_code"] is None else str(file["exit_code"])
        lines.append(f"{file['uri']}  exit {code}  {file['reason'] or 'no reason recorded'}")
        if file["log_url"]:
            lines.append(f"    log: {file['log_url']}")
    return "\n".join(lines)


def register(commands: Commands) -> None:
    """Add ``failed`` to the command line."""
    parser = commands.add(
        "failed", help="the failed files of a run, with reason, exit code and log link", run=run
    )
    parser.add_argument(
        "--run", dest="run_id", metavar="RUN_ID", help="the run (default: the current one)"
    )
    parser.add_argument(
        "--keys-only", action="store_true", help="print only the input keys, one a line"
    )


def run(args: argparse.Namespace) -> int:
    """The body of ``batch-pipeline failed``."""
    table = records_table(locate(args).settings)
    run_id = run_of(table, args.run_id)
    files = [describe(record, args.aws_region) for record in query.failed_files(table, run_id)]
    if args.keys_only and not args.json:
        for file in files:
            print(file["key"])
        return EXIT_OK
    emit({"run_id": run_id, "failed": files}, render(run_id, files), as_json=args.json)
    return EXIT_OK
