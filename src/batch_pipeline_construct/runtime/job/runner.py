"""Run your command for one file: its output passed through line by line, failed attempts retried.

The exit code decides (see :mod:`.exit_codes`): 0 is done, ``EXIT_DO_NOT_RETRY`` is a final
failure, anything else (a signal included) is tried again, up to ``max_attempts`` times.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from .errors import CommandNotExecutable, CommandNotFound
from .exit_codes import EXIT_DO_NOT_RETRY

__all__ = ["FileRun", "run_file"]

_REASON_TAIL = 300
_OUTPUT_LOCK = threading.Lock()


@dataclass(frozen=True)
class FileRun:
    """What happened when a file was run."""

    exit_code: int
    """The last attempt's exit code (a signal ``N`` is ``128 + N``, as a shell reports it)."""
    attempts: int
    """How many times the command ran."""
    duration_seconds: float
    """Time from the first attempt's start to the last attempt's end."""
    reason: str | None
    """Why it failed: the exit code and the command's last output line; None when it succeeded."""

    @property
    def succeeded(self) -> bool:
        """The command exited 0."""
        return self.exit_code == 0


def run_file(
    command: Sequence[str],
    environ: Mapping[str, str],
    *,
    max_attempts: int,
    out: TextIO,
    line_prefix: str = "",
    retry_delay: Callable[[int], float] = lambda attempt: min(30.0, 2.0**attempt),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FileRun:
    """Run ``command`` with ``environ`` until it succeeds, says not to retry, or runs out of attempts.

    Raises :class:`CommandNotFound` or :class:`CommandNotExecutable` when the command cannot start:
    no attempt of any file could succeed then.
    """
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        exit_code, last_line = _attempt(command, environ, out, line_prefix)
        if exit_code == 0:
            return FileRun(0, attempt, clock() - started, None)
        final = exit_code == EXIT_DO_NOT_RETRY or attempt >= max_attempts
        if final:
            return FileRun(exit_code, attempt, clock() - started, _reason(exit_code, last_line))
        sleep(retry_delay(attempt))


def _attempt(
    command: Sequence[str], environ: Mapping[str, str], out: TextIO, line_prefix: str
) -> tuple[int, str]:
    try:
        process = subprocess.Popen(
            list(command),
            env=dict(environ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
        )
    except FileNotFoundError:
        raise CommandNotFound(f"command not found: {command[0]!r}") from None
    except PermissionError:
        raise CommandNotExecutable(f"command cannot be executed: {command[0]!r}") from None
    last_line = ""
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip():
            last_line = line.strip()
        with _OUTPUT_LOCK:
            out.write(f"{line_prefix}{line}" if line.endswith("\n") else f"{line_prefix}{line}\n")
            out.flush()
    code = process.wait()
    return (128 - code if code < 0 else code), last_line


def _reason(exit_code: int, last_line: str) -> str:
    if exit_code > 128 and _signal_name(exit_code - 128):
        what = f"killed by {_signal_name(exit_code - 128)}"
    elif exit_code == EXIT_DO_NOT_RETRY:
        what = f"exit code {exit_code} (do not retry)"
    else:
        what = f"exit code {exit_code}"
    return f"{what}: {last_line[-_REASON_TAIL:]}" if last_line else what


def _signal_name(number: int) -> str | None:
    try:
        return signal.Signals(number).name
    except ValueError:
        return None
