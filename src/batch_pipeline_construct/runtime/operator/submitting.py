"""Submit files the way the arrival function does, from the operator's machine.

``reprocess`` and ``retry`` hand their files here. Each file goes through the arrival function's
own code, so it is claimed in the file-records table (a file that already has a job is counted
``duplicate`` and starts none) and submitted with the same job contract:

* per-file mode: :meth:`..arrival.dispatch.Dispatcher.dispatch`, ``workers`` files side by side;
* bulk mode: :func:`..arrival.bulk.run_bulk`, one array job per ``bulk_max_files`` files, the
  files handed over as the S3 notification the bucket would have sent (event name
  ``ObjectCreated:Reprocess`` or ``ObjectCreated:Retry``).

Every SubmitJob call, retries included, first takes a token from a :class:`.TokenBucket`, so the
operator stays within its share of the account's Batch budget. The arrival code writes one JSON
line per file; those lines are counted here (and kept in ``log`` when given) instead of being
printed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TextIO
from urllib.parse import quote_plus

from .. import clients
from ..arrival.s3_events import ObjectRef
from ..settings import ArrivalSettings
from .progress import Progress
from .throttle import TokenBucket

FILE_OUTCOMES = ("submitted", "duplicate", "in-progress", "failed")
"""What can happen to a file: a job was submitted, it had one already, another caller is
submitting it, or it could not be submitted."""
REPROCESS_EVENT = "ObjectCreated:Reprocess"
"""The S3 event name ``reprocess``'s files carry through the arrival code."""
RETRY_EVENT = "ObjectCreated:Retry"
"""The S3 event name ``retry``'s files carry through the arrival code."""
INVOCATION_SECONDS = 900.0
"""How long one unit of work (a file, or one array job's files) may take, as an invocation would."""


@dataclass
class SubmitResult:
    """What became of the files."""

    outcomes: Counter[str] = field(default_factory=Counter)
    """Files by outcome (:data:`FILE_OUTCOMES`)."""
    submit_calls: int = 0
    """SubmitJob calls made (retries included)."""
    failures: list[dict[str, Any]] = field(default_factory=list)
    """The files that failed: key and reason (at most :data:`_MAX_FAILURES_KEPT`)."""


_MAX_FAILURES_KEPT = 1000


def submit_files(
    refs: Iterable[ObjectRef],
    settings: ArrivalSettings,
    *,
    bucket: TokenBucket,
    progress: Progress,
    workers: int = 8,
    log: TextIO | None = None,
) -> SubmitResult:
    """Submit every file of ``refs`` (an iterable that may still be listing)."""
    result = SubmitResult()
    # Bulk mode must not take messages from the real queue: the operator submits only its files.
    settings = dataclasses.replace(settings, arrival_queue_url=None)
    sink = _LogSink(result, progress, log)
    batch = clients.batch()

    def before_submit(**_: Any) -> None:
        bucket.take()
        with sink.lock:
            result.submit_calls += 1

    batch.meta.events.register("before-call.batch.SubmitJob", before_submit)
    try:
        with contextlib.redirect_stdout(sink):
            if settings.bulk_mode:
                _bulk(refs, settings, progress, sink)
            else:
                _per_file(refs, settings, progress, workers, sink)
    finally:
        batch.meta.events.unregister("before-call.batch.SubmitJob", before_submit)
        progress.close()
    return result


def _invocation(settings: ArrivalSettings) -> Any:
    from ..arrival.invocation import Invocation

    return Invocation(settings, lambda: int(INVOCATION_SECONDS * 1000))


def _per_file(
    refs: Iterable[ObjectRef],
    settings: ArrivalSettings,
    progress: Progress,
    workers: int,
    sink: _LogSink,
) -> None:
    def one(ref: ObjectRef) -> None:
        try:
            _invocation(settings).dispatcher.dispatch(ref).log()
        except Exception as error:  # one file's failure must not stop the others
            sink.failed(ref, repr(error))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: set[Future[None]] = set()
        for ref in refs:
            progress.add_total(1)
            if len(running) >= 2 * workers:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()
            running.add(pool.submit(one, ref))
        for future in running:
            future.result()


def _bulk(
    refs: Iterable[ObjectRef], settings: ArrivalSettings, progress: Progress, sink: _LogSink
) -> None:
    from ..arrival.bulk import run_bulk

    iterator = iter(refs)
    number = 0
    while chunk := list(islice(iterator, settings.bulk_max_files)):
        number += 1
        progress.add_total(len(chunk))
        before = sink.files_seen
        message_id = f"operator-{number}"
        try:
            failed = run_bulk(
                [{"messageId": message_id, "body": notification(chunk)}], _invocation(settings)
            )
        except Exception as error:  # this array job's files fail; the next chunk goes on
            failed = [message_id]
            sink.reason = repr(error)
        unaccounted = len(chunk) - (sink.files_seen - before)
        if failed and unaccounted > 0:
            for ref in chunk[len(chunk) - unaccounted :]:
                sink.failed(ref, sink.reason or "the array job was not submitted")


def notification(refs: Iterable[ObjectRef]) -> str:
    """The S3 event notification (a message body) that announces ``refs``."""
    records = []
    for ref in refs:
        obj: dict[str, Any] = {"key": quote_plus(ref.key, safe="/")}
        for name, value in (("versionId", ref.version_id), ("size", ref.size), ("eTag", ref.etag)):
            if value is not None:
                obj[name] = value
        records.append(
            {
                "eventSource": "aws:s3",
                "eventName": ref.event_name
                if ref.event_name.startswith("ObjectCreated:")
                else REPROCESS_EVENT,
                "s3": {"bucket": {"name": ref.bucket}, "object": obj},
            }
        )
    return json.dumps({"Records": records})


class _LogSink(io.TextIOBase):
    """Receives the arrival code's JSON lines: counts file outcomes, keeps the lines in ``log``."""

    def __init__(self, result: SubmitResult, progress: Progress, log: TextIO | None) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.files_seen = 0
        self.reason: str | None = None
        self._result = result
        self._progress = progress
        self._log = log
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self.lock:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def failed(self, ref: ObjectRef, reason: str) -> None:
        """Count ``ref`` failed for ``reason`` (an error outside the arrival code's own logs)."""
        self.write(
            json.dumps({"event": "failed", "bucket": ref.bucket, "key": ref.key, "reason": reason})
            + "\n"
        )

    def _line(self, line: str) -> None:
        if self._log is not None:
            self._log.write(line + "\n")
        try:
            record = json.loads(line)
        except ValueError:
            return
        event = record.get("event") if isinstance(record, dict) else None
        if event not in FILE_OUTCOMES:
            if isinstance(event, str) and event.endswith("error"):
                self.reason = str(record.get("reason"))
            return
        with self.lock:
            self.files_seen += 1
            self._result.outcomes[event] += 1
            if event == "failed" and len(self._result.failures) < _MAX_FAILURES_KEPT:
                self._result.failures.append(
                    {"key": record.get("key"), "reason": record.get("reason")}
                )
        self._progress.advance(event)
