"""A token bucket: the operator's share of the account's Batch API budget.

AWS Batch allows 50 SubmitJob calls per second per account and Region, shared with the arrival
function and every other caller, so the operator commands submit at a configurable rate well
under it (:data:`DEFAULT_SUBMIT_RATE`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_SUBMIT_RATE = 20.0
"""SubmitJob calls per second the operator commands make at most, by default (of the 50)."""
BATCH_SUBMIT_RATE_LIMIT = 50.0
"""AWS Batch's SubmitJob limit per account and Region (fixed)."""


# Refills are sums of floats: a token short by a rounding error must not wait forever.
_ROUNDING = 1e-9


class TokenBucket:
    """Hands out ``rate`` tokens a second, up to ``burst`` at once; :meth:`take` waits for one."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be above 0 and burst at least 1, got {rate}, {burst}")
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Take one token, waiting until there is one."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                if self._tokens >= 1 - _ROUNDING:
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                wait = (1 - self._tokens) / self._rate
            self._sleep(wait)
