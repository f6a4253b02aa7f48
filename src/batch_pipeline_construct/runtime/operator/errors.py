"""What an operator command reports as one line on stderr, instead of a traceback."""

from __future__ import annotations

EXIT_OK = 0
"""Everything asked for was done."""
EXIT_INCOMPLETE = 1
"""The command ran, but some of its work failed (files not submitted, messages not moved)."""
EXIT_UNUSABLE = 2
"""The command could not run: bad arguments, unknown pipeline, no credentials, AWS refused."""
EXIT_INTERRUPTED = 130
"""Interrupted with Ctrl-C."""


class OperatorError(Exception):
    """A problem the operator can fix, stated in one line (``batch-pipeline: error: ...``)."""
