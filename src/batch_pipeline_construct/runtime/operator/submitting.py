"""Submit files the way the arrival function does, from the operator's machine.

``reprocess`` and ``retry`` hand their files here. Each file goes through the arrival function's
own code, so it is claimed in the file-records table (a file that already has a job is counted
``duplicate`` and starts none) and submitted with the same job contract:

* per-file mode: :meth:`..arrival.dispatch.Dispatcher.dispatch`, ``workers`` files side by side;
* bulk mode: :func:`..arrival.bulk.run_bulk`, one array job per ``bulk_max_files`` files, the
  files handed over as the S3 notification the bucket would have sent (event name
  ``ObjectCreated:Reprocess`` or ``ObjectCreated:Retry``).

Every SubmitJob call, retries included, first takes a token from a :class:`.TokenBucket`, so the
operator stays within its share of the account's Batch budget. Files are counted from the
outcomes the arrival code returns (:meth:`..arrival.invocation.Invocation.report` in bulk mode);
its JSON log lines are kept in ``log`` when given, instead of being printed.
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
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote_plus

from .. import clients
from ..arrival.s3_events import ObjectRef
from ..settings import ArrivalSettings
from .progress import Progress
from .throttle import TokenBucket

if TYPE_CHECKING:
    from ..arrival.dispatch import FileOutcome
    from ..arrival.invocation import Invocation

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
    tally = _Tally(result, progress)
    batch = clients.batch()

    def before_submit(**_: Any) -> None:
        bucket.take()
        with tally.lock:
            result.submit_calls += 1

    batch.meta.events.register("before-call.batch.SubmitJob", before_submit)
    try:
        with contextlib.redirect_stdout(_LogLines(log)):
            if settings.bulk_mode:
                _bulk(refs, settings, progress, tally)
            else:
                _per_file(refs, settings, progress, workers, tally)
    finally:
        batch.meta.events.unregister("before-call.batch.SubmitJob", before_submit)
        progress.close()
    return result


def _invocation(settings: ArrivalSettings) -> Invocation:
    from ..arrival.invocation import Invocation

    return Invocation(settings, lambda: int(INVOCATION_SECONDS * 1000))


def _per_file(
    refs: Iterable[ObjectRef],
    settings: ArrivalSettings,
    progress: Progress,
    workers: int,
    tally: _Tally,
) -> None:
    from ..arrival.dispatch import FileOutcome

    def one(ref: ObjectRef) -> None:
        try:
            outcome = _invocation(settings).dispatcher.dispatch(ref)
        except Exception as error:  # one file's failure must not stop the others
            outcome = FileOutcome(ref, "failed", reason=repr(error))
        outcome.log()
        tally.add(outcome)

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
    refs: Iterable[ObjectRef], settings: ArrivalSettings, progress: Progress, tally: _Tally
) -> None:
    from ..arrival.bulk import run_bulk
    from ..arrival.dispatch import FileOutcome

    iterator = iter(refs)
    number = 0
    while chunk := list(islice(iterator, settings.bulk_max_files)):
        number += 1
        progress.add_total(len(chunk))
        message_id = f"operator-{number}"
        invocation = _invocation(settings)
        try:
            failed = run_bulk([{"messageId": message_id, "body": notification(chunk)}], invocation)
            reason = invocation.errors[-1] if invocation.errors else None
        except Exception as error:  # this array job's files fail; the next chunk goes on
            failed, reason = [message_id], repr(error)
        for outcome in invocation.outcomes:
            tally.add(outcome)
        if failed:
            reported = {_identity(outcome.ref) for outcome in invocation.outcomes}
            for ref in chunk:
                if _identity(ref) not in reported:
                    outcome = FileOutcome(
                        ref, "failed", reason=reason or "the array job was not submitted"
                    )
                    outcome.log()
                    tally.add(outcome)


def _identity(ref: ObjectRef) -> tuple[str, str, str | None]:
    return ref.bucket, ref.key, ref.version_id


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


class _Tally:
    """Counts file outcomes into a :class:`SubmitResult` and the progress line."""

    def __init__(self, result: SubmitResult, progress: Progress) -> None:
        self.lock = threading.Lock()
        self._result = result
        self._progress = progress

    def add(self, outcome: FileOutcome) -> None:
        """Count ``outcome`` (a job found for the file counts as submitted)."""
        status = "submitted" if outcome.status == "found" else outcome.status
        with self.lock:
            self._result.outcomes[status] += 1
            if status == "failed" and len(self._result.failures) < _MAX_FAILURES_KEPT:
                self._result.failures.append({"key": outcome.ref.key, "reason": outcome.reason})
        self._progress.advance(status)


class _LogLines(io.TextIOBase):
    """Where the arrival code's JSON lines go: whole lines into ``log``, or nowhere."""

    def __init__(self, log: TextIO | None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._log = log

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._log is not None:
            with self._lock:
                self._log.write(text)
        return len(text)
