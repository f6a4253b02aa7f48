"""The operator's SubmitJob calls take tokens from a bucket that refills at ``--rate``, so a long
reprocess or retry stays within its share of the account's 50 calls a second."""

from __future__ import annotations

import io

import pytest

from batch_pipeline_construct.runtime.operator.progress import Progress, format_duration
from batch_pipeline_construct.runtime.operator.throttle import (
    BATCH_SUBMIT_RATE_LIMIT,
    DEFAULT_SUBMIT_RATE,
    TokenBucket,
)


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_bucket_hands_out_tokens_at_its_rate() -> None:
    time = SimulatedTime()
    bucket = TokenBucket(20, clock=time.clock, sleep=time.sleep)

    for _ in range(201):
        bucket.take()

    assert time.now == pytest.approx(10.0)  # 1 at once, then 200 at 20 a second


def test_an_idle_bucket_saves_at_most_its_burst() -> None:
    time = SimulatedTime()
    bucket = TokenBucket(10, burst=5, clock=time.clock, sleep=time.sleep)
    time.now = 3600.0

    for _ in range(15):
        bucket.take()

    assert time.now == pytest.approx(3601.0)  # 5 saved, 10 more at 10 a second


def test_the_default_rate_is_well_under_the_account_limit() -> None:
    assert DEFAULT_SUBMIT_RATE <= BATCH_SUBMIT_RATE_LIMIT / 2


class NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_progress_off_a_terminal_is_plain_lines_with_rate_and_eta() -> None:
    time = SimulatedTime()
    stream = NotATerminal()
    progress = Progress("submitting", stream=stream, clock=time.clock, interval=10)
    progress.add_total(1000)

    for _ in range(250):
        time.now += 0.125
        progress.advance("submitted")
    progress.close()

    lines = stream.getvalue().splitlines()
    assert lines == [
        "submitting: 80/1,000 (submitted 80), 8.0/s, ETA 1m55s",
        "submitting: 160/1,000 (submitted 160), 8.0/s, ETA 1m45s",
        "submitting: 240/1,000 (submitted 240), 8.0/s, ETA 1m35s",
        "submitting: 250/1,000 (submitted 250), 8.0/s, ETA 1m34s",
    ]


@pytest.mark.parametrize(("seconds", "text"), [(4.6, "5s"), (185, "3m05s"), (7620, "2h07m")])
def test_durations_read_like_a_clock(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
