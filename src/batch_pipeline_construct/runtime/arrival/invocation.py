"""What one arrival-function invocation works with: settings, clients, time left, parsing."""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from .. import clients
from ..logs import log
from ..settings import SUBMIT_MAX_ATTEMPTS, ArrivalSettings
from .dead_letter import send_to_dead_letter
from .dispatch import Dispatcher, FileOutcome
from .idempotency import Ledger
from .s3_events import MalformedMessage, S3Notification, parse_body
from .submission import Submitter

CALL_MARGIN_SECONDS = 1.0
"""Every AWS call, at its worst, ends at least this long before the invocation's end."""
LEASE_MARGIN_SECONDS = 10.0
"""A claim's lease outlasts the invocation's end by this much (clock skew between hosts)."""


class DeadLetterUnavailable(Exception):
    """A malformed message could not be sent to the dead-letter queue, so it must stay queued."""


class Invocation:
    """One invocation: the dispatcher, the remaining time and the message reader."""

    def __init__(
        self,
        settings: ArrivalSettings,
        remaining_millis: Callable[[], int],
        *,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        submit_max_attempts: int = SUBMIT_MAX_ATTEMPTS,
    ) -> None:
        self.settings = settings
        """The pipeline's settings."""
        self._remaining_millis = remaining_millis
        self.wall_clock = wall_clock
        """The wall clock (epoch seconds)."""
        remaining = remaining_millis() / 1000
        submitter = Submitter.from_settings(
            settings,
            clients.batch(),
            max_attempts=submit_max_attempts,
            sleep=sleep,
            random=random,
            clock=clock,
            deadline=clock() + remaining - CALL_MARGIN_SECONDS,
        )
        ledger = (
            Ledger(
                clients.dynamodb(),
                settings.file_records_table,
                ttl_seconds=settings.record_retention_seconds,
            )
            if settings.file_records_table
            else None
        )
        self.dispatcher = Dispatcher(
            settings,
            submitter,
            ledger,
            lease_seconds=remaining + LEASE_MARGIN_SECONDS,
            wall_clock=wall_clock,
            time_left=lambda: self.time_left() - CALL_MARGIN_SECONDS,
        )
        """Claims and submits files."""
        self.outcomes: list[FileOutcome] = []
        """Every file outcome :meth:`report` was given, in order (bulk mode's files)."""
        self.errors: list[str] = []
        """The reasons of the errors :meth:`error` was given, in order."""

    def report(self, outcome: FileOutcome, **context: object) -> None:
        """Keep ``outcome`` in :attr:`outcomes` and log it (with ``context``)."""
        self.outcomes.append(outcome)
        outcome.log(**context)

    def error(self, event: str, *, reason: str, **fields: object) -> None:
        """Keep ``reason`` in :attr:`errors` and log ``event`` at ERROR level: an error that
        leaves files without an outcome (their message is retried)."""
        self.errors.append(reason)
        log(event, level="ERROR", reason=reason, **fields)

    def time_left(self) -> float:
        """Seconds until the invocation times out."""
        return self._remaining_millis() / 1000

    def read(self, body: str, message_id: str) -> S3Notification | None:
        """Parse a message body; None when it was malformed and is now in the dead-letter queue.

        Raises :class:`DeadLetterUnavailable` when a malformed message could not be moved.
        """
        try:
            notification = parse_body(body, self.settings.input_bucket)
        except MalformedMessage as error:
            self._dead_letter(body, message_id, error)
            return None
        for ignored in notification.ignored:
            log(
                "ignored",
                reason=ignored.reason,
                s3_event=ignored.event_name,
                key=ignored.key,
                message_id=message_id,
            )
        return notification

    def _dead_letter(self, body: str, message_id: str, error: MalformedMessage) -> None:
        why = {"reason": error.reason, "detail": error.detail, "message_id": message_id}
        url = self.settings.dead_letter_queue_url
        if url is None:
            log("malformed", level="ERROR", **why, dead_letter="no dead-letter queue configured")
            raise DeadLetterUnavailable("no dead-letter queue URL in the settings") from error
        try:
            send_to_dead_letter(clients.sqs(), url, body=body, **why)
        except (ClientError, BotoCoreError) as send_error:
            log("malformed", level="ERROR", **why, dead_letter=f"send failed: {send_error}")
            raise DeadLetterUnavailable(str(send_error)) from send_error
        log("dead-lettered", level="WARNING", **why)
