"""Simulated time: one clock for the handler, botocore's retry sleeps and Lambda's deadline."""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import botocore.endpoint

EPOCH = 1_767_225_600.0
"""The wall-clock time at which a simulation starts (2026-01-01T00:00:00Z)."""


class SimulatedClock:
    """Seconds that pass only when something sleeps, waits for a slow response or is advanced.

    Pass :meth:`monotonic`, :meth:`time` and :meth:`sleep` to the arrival handler, and enter
    :meth:`botocore_sleeps` so botocore's own retry backoff spends simulated seconds too.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept = 0.0
        """Seconds spent in :meth:`sleep` (backoff), as opposed to waiting on responses."""

    def monotonic(self) -> float:
        """Seconds since the simulation began."""
        with self._lock:
            return self._now

    def time(self) -> float:
        """The wall-clock time (epoch seconds)."""
        return EPOCH + self.monotonic()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass (a slow response, a visibility timeout)."""
        with self._lock:
            self._now += max(0.0, seconds)

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of simulated time."""
        self.advance(seconds)
        with self._lock:
            self.slept += max(0.0, seconds)

    @contextmanager
    def botocore_sleeps(self) -> Iterator[None]:
        """While inside, botocore's retry handler sleeps on this clock instead of for real."""
        fake_time = types.SimpleNamespace(**{**vars(time), "sleep": self.sleep})
        with mock.patch.object(botocore.endpoint, "time", fake_time):
            yield


class SimulatedContext:
    """The Lambda context of an invocation with ``timeout`` seconds, on ``clock``."""

    def __init__(self, clock: SimulatedClock, timeout: float) -> None:
        self._clock = clock
        self.deadline = clock.monotonic() + timeout
        """When Lambda would end the invocation, on the clock."""

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the deadline (never negative)."""
        return max(0, int((self.deadline - self._clock.monotonic()) * 1000))
