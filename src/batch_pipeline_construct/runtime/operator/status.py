"""``batch-pipeline status``: where the pipeline's files stand.

Counts by state of the current run's files (or of run ``--run``), read with one ``Query`` of
the record's by-run index, the file of the run that has waited longest for compute, and the
run's progress: files finished, pace and ETA. ``--all`` counts every file in the record instead,
with one paginated ``Scan`` of the table (read page by page, never held whole), which reads the
whole table and so costs in proportion to it. The arrival dead-letter queue's messages are
counted too (see :mod:`.dead_letters`: those files have no record of their own). ``--watch``
refreshes in place on a terminal (a new block every ``--interval`` elsewhere) until the run has
finished or Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .. import clients
from ..records import query
from ..records.model import FileRecord
from ..records.query import RecordsTable
from ..records.schema import FINAL_STATES, FileState
from . import dead_letters
from .arguments import add_seconds_option
from .errors import EXIT_OK, OperatorError
from .file_records import records_table
from .output import emit
from .progress import format_duration
from .target import locate

if TYPE_CHECKING:
    from .cli import Commands

DEFAULT_WATCH_INTERVAL_SECONDS = 5.0
"""How often ``--watch`` refreshes."""


def status(
    table: RecordsTable,
    *,
    run_id: str | None = None,
    every_file: bool = False,
    dead_letters: int | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The pipeline's status as a JSON-ready dict (see the module documentation)."""
    moment = time.time() if now is None else now
    run = query.get_run(table, run_id) if run_id is not None else query.current_run(table)
    run_records: Iterable[FileRecord] = () if run is None else query.files_of_run(table, run.run_id)
    counts, oldest = _tally(query.file_records(table) if every_file else run_records)
    document: dict[str, Any] = {
        "scope": "all" if every_file else "run",
        "counts": {state.value: counts[state] for state in FileState},
        "oldest_waiting": None,
        "dead_letters_waiting": dead_letters,
        "run": None,
    }
    if oldest is not None and oldest.waiting_since is not None:
        document["oldest_waiting"] = {
            "uri": oldest.input_uri,
            "state": oldest.state.value,
            "waiting_seconds": max(0.0, moment - oldest.waiting_since),
        }
    if run is not None:
        run_counts = _tally(run_records)[0] if every_file else counts
        progress = query.progress_of(run, run_counts, now=moment)
        document["run"] = {
            "run_id": run.run_id,
            "files": sum(run_counts.values()),
            "finished": sum(run_counts[state] for state in FINAL_STATES),
            "failed": run_counts[FileState.FAILED],
            "files_per_minute": progress.files_per_minute,
            "eta_seconds": progress.eta_seconds,
            "report_uri": run.report_uri,
        }
    return document


def _tally(records: Iterable[FileRecord]) -> tuple[dict[FileState, int], FileRecord | None]:
    """Files by state, and the one that has waited longest for compute, in one pass."""
    counts = dict.fromkeys(FileState, 0)
    oldest: FileRecord | None = None
    for record in records:
        counts[record.state] += 1
        since = record.waiting_since
        if record.state in query.WAITING_STATES and since is not None:
            if oldest is None or since < (oldest.waiting_since or 0.0):
                oldest = record
    return counts, oldest


def render(document: dict[str, Any]) -> str:
    """The status for a person."""
    title = "files of the run" if document["scope"] == "run" else "files in the record (all runs)"
    counts: dict[str, int] = document["counts"]
    width = max(len(state) for state in counts)
    lines = [f"{title}:"]
    lines += [f"  {state:<{width}}  {count:>9,}" for state, count in counts.items()]
    oldest = document["oldest_waiting"]
    if oldest is not None:
        lines.append(
            f"oldest waiting: {oldest['uri']} ({oldest['state']},"
            f" {format_duration(oldest['waiting_seconds'])})"
        )
    else:
        lines.append("oldest waiting: none")
    if document["dead_letters_waiting"]:
        lines.append(
            f"dead letters waiting: {document['dead_letters_waiting']:,}"
            " (`batch-pipeline failed` lists their files, `batch-pipeline redrive` sends them back)"
        )
    run = document["run"]
    if run is None:
        lines.append("run: none yet")
        return "\n".join(lines)
    line = (
        f"run {run['run_id']}: {run['finished']:,} of {run['files']:,} finished,"
        f" {run['failed']:,} failed"
    )
    if run["files_per_minute"] is not None:
        line += f", {run['files_per_minute']:,.1f} files/min"
    if run["eta_seconds"] is not None:
        line += (
            ", done" if run["eta_seconds"] == 0 else f", ETA {format_duration(run['eta_seconds'])}"
        )
    lines.append(line)
    if run["report_uri"]:
        lines.append(f"report: {run['report_uri']}")
    return "\n".join(lines)


def watch(
    read: Callable[[], dict[str, Any]],
    *,
    interval: float,
    as_json: bool,
    sleep: Callable[[float], None] = time.sleep,
    refreshes: int | None = None,
) -> None:
    """Show ``read()`` every ``interval`` seconds until the run has finished (or ``refreshes``)."""
    live = None
    if sys.stdout.isatty() and not as_json:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        live = Live(console=Console(), auto_refresh=False)
        live.start()
    shown = 0
    try:
        while True:
            document = read()
            if live is not None:
                live.update(Text(render(document)), refresh=True)
            else:
                emit(document, render(document) + "\n", as_json=as_json)
            shown += 1
            run = document["run"]
            if run is not None and run["files"] and run["finished"] >= run["files"]:
                return
            if refreshes is not None and shown >= refreshes:
                return
            sleep(interval)
    finally:
        if live is not None:
            live.stop()


def register(commands: Commands) -> None:
    """Add ``status`` to the command line."""
    parser = commands.add(
        "status",
        help="counts by state, the oldest waiting file, the current run's pace and ETA",
        run=run,
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--run", dest="run_id", metavar="RUN_ID", help="this run's files (default: the current run)"
    )
    which.add_argument(
        "--all",
        dest="every_file",
        action="store_true",
        help="count every file of every run (scans the whole record)",
    )
    parser.add_argument("--watch", action="store_true", help="refresh until the run is done")
    add_seconds_option(
        parser,
        "--interval",
        default=DEFAULT_WATCH_INTERVAL_SECONDS,
        help="--watch refreshes this often",
    )


def run(args: argparse.Namespace) -> int:
    """The body of ``batch-pipeline status``."""
    settings = locate(args).settings
    table = records_table(settings)
    if args.run_id is not None and query.get_run(table, args.run_id) is None:
        raise OperatorError(f"no run {args.run_id!r} in the pipeline's record")

    def read() -> dict[str, Any]:
        url = settings.dead_letter_queue_url
        return status(
            table,
            run_id=args.run_id,
            every_file=args.every_file,
            dead_letters=None if url is None else dead_letters.waiting(clients.sqs(), url),
        )

    if args.watch:
        try:
            watch(read, interval=args.interval, as_json=args.json)
        except KeyboardInterrupt:
            pass
        return EXIT_OK
    document = read()
    emit(document, render(document), as_json=args.json)
    return EXIT_OK
