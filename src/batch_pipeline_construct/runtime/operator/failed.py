"""``batch-pipeline failed``: the failed files of a run, with reason, exit code and log link.

The run is the current one (the latest), or ``--run RUN_ID``; ``--keys-only`` prints just the
input keys, one a line, ready for ``retry --keys-from -``. The files waiting in the arrival
dead-letter queue are listed as well (read without consuming them, see :mod:`.dead_letters`);
``redrive`` sends them back.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .. import clients
from ..records import query
from ..records.model import FileRecord
from ..records.query import RecordsTable
from . import dead_letters
from .dead_letters import DeadLetter
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


def render(run_id: str | None, files: list[dict[str, Any]], dead: list[DeadLetter]) -> str:
    """The failed files for a person: one line each, the log link under it; then dead letters."""
    lines = [] if run_id is None else [f"{plural(len(files), 'failed file')} in run {run_id}"]
    for file in files:
        code = "-" if file["exit_code"] is None else str(file["exit_code"])
        lines.append(f"{file['uri']}  exit {code}  {file['reason'] or 'no reason recorded'}")
        if file["log_url"]:
            lines.append(f"    log: {file['log_url']}")
    if dead:
        lines.append(
            f"{plural(len(dead), 'dead letter')} in the arrival dead-letter queue"
            " (`batch-pipeline redrive` sends them back):"
        )
        lines += [f"{letter.uri or '(no file)'}  {letter.reason}" for letter in dead]
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
    settings = locate(args).settings
    table = records_table(settings)
    url = settings.dead_letter_queue_url
    dead = [] if url is None else dead_letters.peek(clients.sqs(), url, settings.input_bucket)
    try:
        run_id: str | None = run_of(table, args.run_id)
    except OperatorError:
        if args.run_id is not None or not dead:
            raise
        run_id = None  # no run yet, but files wait in the dead-letter queue
    failed = [] if run_id is None else query.failed_files(table, run_id)
    files = [describe(record, args.aws_region) for record in failed]
    if args.keys_only and not args.json:
        for file in files:
            print(file["key"])
        return EXIT_OK
    document = {
        "run_id": run_id,
        "failed": files,
        "dead_letters": [letter.as_dict() for letter in dead],
    }
    emit(document, render(run_id, files, dead), as_json=args.json)
    return EXIT_OK
