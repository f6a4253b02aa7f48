"""Simulated time: a cooperative discrete-event scheduler for code that calls ``sleep``.

Each *actor* (a simulated Lambda poller, an invocation) runs in its own thread, but only one
runs at a time: an actor runs until it sleeps, and the scheduler then wakes the actor with the
earliest wake-up time and moves the clock to it. So real, blocking code (the arrival handler,
botocore, moto) runs unchanged while ``now`` only moves when someone sleeps: the handler's
injected sleep, or the simulated latency of an AWS call (see ``_aws.py``).

An actor can have a *deadline*: a sleep that would reach it raises :class:`Killed` in that actor
instead, which is how a Lambda invocation that runs out of time is stopped mid-flight.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

EPOCH = 1_767_225_600.0
"""Wall-clock time (2026-01-01T00:00:00Z) at simulated time zero."""


class Killed(BaseException):  # noqa: N818 - not an error of the code under test
    """Raised in an actor whose deadline passed (a BaseException, so ``except Exception`` misses it)."""


@dataclass
class _Actor:
    name: str
    wake: threading.Event = field(default_factory=threading.Event)
    deadline: float | None = None


class Simulation:
    """The simulated clock and the actors that share it."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, _Actor]] = []
        self._seq = 0
        self._local = threading.local()
        self._done = threading.Event()
        self._errors: list[BaseException] = []
        self.switches = 0

    # -- clocks and sleep, as the code under test sees them -----------------------------------

    def clock(self) -> float:
        """Simulated seconds since the start (a monotonic clock)."""
        return self.now

    def wall_clock(self) -> float:
        """Simulated epoch seconds."""
        return EPOCH + self.now

    def wall_clock_millis(self) -> float:
        """Simulated epoch milliseconds."""
        return (EPOCH + self.now) * 1000.0

    def sleep(self, seconds: float) -> None:
        """Suspend the calling actor for ``seconds`` of simulated time."""
        actor: _Actor = self._local.actor
        wake_at = self.now + max(0.0, seconds)
        if actor.deadline is not None and wake_at >= actor.deadline:
            self._push(actor.deadline, actor)
            self._switch(actor)
            raise Killed(actor.name)
        self._push(wake_at, actor)
        self._switch(actor)

    def set_deadline(self, deadline: float | None) -> None:
        """Give the calling actor a deadline (None: none)."""
        self._local.actor.deadline = deadline

    # -- actors -----------------------------------------------------------------------------

    def spawn(self, name: str, body: Callable[[], None], *, delay: float = 0.0) -> None:
        """Start an actor that runs ``body`` from ``now + delay``."""
        actor = _Actor(name)

        def run() -> None:
            actor.wake.wait()
            actor.wake.clear()
            self._local.actor = actor
            try:
                body()
            except Killed:
                pass
            except BaseException as error:  # surfaced by run() in the main thread
                self._errors.append(error)
            finally:
                self._next()

        threading.Thread(target=run, name=name, daemon=True).start()
        self._push(self.now + delay, actor)

    def run(self) -> None:
        """Run every actor until none is left; re-raise the first error an actor raised."""
        self._next()
        self._done.wait()
        if self._errors:
            raise self._errors[0]

    def _push(self, when: float, actor: _Actor) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, actor))

    def _switch(self, actor: _Actor) -> None:
        if self._queue[0][2] is actor:  # still the earliest: no other actor runs in between
            when, _, _ = heapq.heappop(self._queue)
            self.now = max(self.now, when)
            return
        self._next()
        actor.wake.wait()
        actor.wake.clear()

    def _next(self) -> None:
        if not self._queue:
            self._done.set()
            return
        when, _, actor = heapq.heappop(self._queue)
        self.now = max(self.now, when)
        self.switches += 1
        actor.wake.set()
