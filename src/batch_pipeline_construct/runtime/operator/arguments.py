"""Argument types shared by the subcommands, so a bad value is refused before any AWS call."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """An integer of at least 1 (``--max``, ``--workers``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: give 1 or more")
    return value


def positive_float(text: str) -> float:
    """A number greater than 0 (``--rate``, ``--time-limit``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text} is not allowed: give a finite number above 0")
    return value


def add_seconds_option(
    parser: argparse.ArgumentParser, flag: str, *, default: float, help: str
) -> None:
    """A ``flag SECONDS`` option above 0, its help ending with ``(default N)``."""
    parser.add_argument(
        flag,
        type=positive_float,
        default=default,
        metavar="SECONDS",
        help=f"{help} (default {default:.0f})",
    )


def add_submit_options(parser: argparse.ArgumentParser) -> None:
    """``--rate``, ``--workers`` and ``--log``: how a command that submits jobs paces itself."""
    from .throttle import BATCH_SUBMIT_RATE_LIMIT, DEFAULT_SUBMIT_RATE

    group = parser.add_argument_group("submission")
    group.add_argument(
        "--rate",
        type=positive_float,
        default=DEFAULT_SUBMIT_RATE,
        metavar="CALLS_PER_SECOND",
        help=(
            f"SubmitJob calls per second at most (default {DEFAULT_SUBMIT_RATE:.0f}; the account"
            f" has {BATCH_SUBMIT_RATE_LIMIT:.0f}, shared with the arrival function)"
        ),
    )
    group.add_argument(
        "--workers", type=positive_int, default=8, help="files submitted side by side (default 8)"
    )
    group.add_argument(
        "--log",
        type=argparse.FileType("a", encoding="utf-8"),
        metavar="FILE",
        help="append the arrival code's JSON line per file to FILE",
    )
