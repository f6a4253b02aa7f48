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
from collections.abc import Callable, Iterator
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


class SimulatedPool:
    """A ``concurrent.futures.ThreadPoolExecutor`` whose workers are actors on the simulated clock.

    Code under test that fans calls out over a thread pool (the bulk handler's idempotency-table
    calls) gets ``max_workers`` concurrent actors, which inherit the caller's deadline; ``map``
    returns when all of them are done, as the real pool's results are consumed.
    """

    def __init__(self, sim: Simulation, max_workers: int | None = None) -> None:
        self._sim = sim
        self._workers = max_workers or 1
        self.calls = 0

    def __enter__(self) -> SimulatedPool:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def map(self, function: Callable[..., object], *iterables: object) -> Iterator[object]:
        items = list(zip(*iterables, strict=False))  # type: ignore[call-overload]
        results: list[object] = [None] * len(items)
        errors: dict[int, BaseException] = {}
        indexes = iter(range(len(items)))
        workers = min(self._workers, len(items))
        remaining = [workers]
        killed = [False]
        unpark = self._sim.park()

        def worker() -> None:
            try:
                for index in indexes:  # one actor runs at a time: sharing the iterator is safe
                    try:
                        results[index] = function(*items[index])
                    except Killed:
                        killed[0] = True
                        raise
                    except Exception as error:  # noqa: BLE001 - re-raised in order, as map does
                        errors[index] = error
            finally:
                remaining[0] -= 1
                if remaining[0] == 0:
                    unpark()

        if workers == 0:
            return iter([])
        deadline = self._sim.deadline()
        for number in range(workers):
            self._sim.spawn(f"pool-{number}", worker, deadline=deadline)
        self._sim.wait_parked()
        if killed[0]:
            raise Killed("pool")

        def ordered() -> Iterator[object]:
            for index, result in enumerate(results):
                if index in errors:
                    raise errors[index]
                yield result

        return ordered()


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

    def spawn(
        self,
        name: str,
        body: Callable[[], None],
        *,
        delay: float = 0.0,
        deadline: float | None = None,
    ) -> None:
        """Start an actor that runs ``body`` from ``now + delay``."""
        actor = _Actor(name, deadline=deadline)

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

    def deadline(self) -> float | None:
        """The calling actor's deadline."""
        return self._local.actor.deadline

    def park(self) -> Callable[[], None]:
        """Suspend the calling actor until the returned function (``unpark``) is called."""
        actor: _Actor = self._local.actor

        def unpark() -> None:
            self._push(self.now, actor)

        return unpark

    def wait_parked(self) -> None:
        """Give up the clock after :meth:`park` until someone unparks the calling actor."""
        actor: _Actor = self._local.actor
        self._next()
        actor.wake.wait()
        actor.wake.clear()

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
