"""Progress of a long command: a bar with rate and ETA on a terminal, plain lines otherwise.

Both go to stderr, so stdout carries only the summary (or the ``--json`` document).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

PLAIN_INTERVAL_SECONDS = 10.0
"""How often a progress line is written when stderr is not a terminal."""


class Progress:
    """Counts outcomes of ``total`` items (the total may grow while items are still listed)."""

    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = PLAIN_INTERVAL_SECONDS,
    ) -> None:
        self.label = label
        """What is being done, e.g. ``submitting``."""
        self.total = 0
        """Items known so far."""
        self.counts: Counter[str] = Counter()
        """Items done, by outcome."""
        self._stream = stream or sys.stderr
        self._clock = clock
        self._interval = interval
        self._started = clock()
        self._last_line = self._started
        self._lock = threading.Lock()
        self._bar: _RichBar | None = None
        if self._stream.isatty():
            self._bar = _RichBar(label, self._stream)

    @property
    def done(self) -> int:
        """Items with an outcome."""
        return sum(self.counts.values())

    def add_total(self, count: int) -> None:
        """``count`` more items are known."""
        with self._lock:
            self.total += count
            self._show()

    def advance(self, outcome: str, count: int = 1) -> None:
        """``count`` items ended with ``outcome`` (``submitted``, ``duplicate``, ``failed``...)."""
        with self._lock:
            self.counts[outcome] += count
            self._show()

    def rate(self) -> float:
        """Items per second so far."""
        elapsed = self._clock() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left at the pace so far; None before the first item."""
        rate = self.rate()
        return (self.total - self.done) / rate if rate > 0 else None

    def close(self) -> None:
        """Stop showing progress (the last plain line, or the bar's final state)."""
        with self._lock:
            if self._bar is not None:
                self._bar.update(self.done, self.total, self._outcomes())
                self._bar.close()
            elif self.done:
                self._stream.write(self._line() + "\n")
                self._stream.flush()

    def _show(self) -> None:
        if self._bar is not None:
            self._bar.update(self.done, self.total, self._outcomes())
            return
        now = self._clock()
        if now - self._last_line >= self._interval:
            self._last_line = now
            self._stream.write(self._line() + "\n")
            self._stream.flush()

    def _outcomes(self) -> str:
        return ", ".join(f"{name} {count:,}" for name, count in sorted(self.counts.items()))

    def _line(self) -> str:
        eta = self.eta_seconds()
        tail = f", ETA {format_duration(eta)}" if eta is not None else ""
        return (
            f"{self.label}: {self.done:,}/{self.total:,} ({self._outcomes() or 'none yet'}),"
            f" {self.rate():.1f}/s{tail}"
        )


def format_duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h07m``."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


class _RichBar:
    """rich's progress bar, with the time remaining."""

    def __init__(self, label: str, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._progress = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[outcomes]}"),
            console=Console(file=stream),
        )
        self._task = self._progress.add_task(label, total=None, outcomes="")
        self._progress.start()

    def update(self, done: int, total: int, outcomes: str) -> None:
        self._progress.update(self._task, completed=done, total=total or None, outcomes=outcomes)

    def close(self) -> None:
        self._progress.stop()
