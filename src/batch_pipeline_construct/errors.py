"""Errors the construct raises for props that would fail at deploy time.

A :class:`PipelineConfigurationError` that nobody catches ends the app (``cdk synth``) with its
message alone, not a Python traceback: the message already names the prop, the value and the
fix, and a first user should not have to find it under thirty lines of the package's internals.
Set ``BPC_TRACEBACK=1`` to see the traceback too.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable, Sequence

from ._as_written import as_written

TRACEBACK_VARIABLE = "BPC_TRACEBACK"
"""Environment variable: set to ``1`` to see the traceback of an uncaught configuration error."""


class PipelineConfigurationError(ValueError):
    """A prop of ``BatchFilePipeline`` has a value that AWS would reject or that conflicts with another prop.

    The message names the prop, the value given and what is allowed, so it can be fixed
    without a deploy. It is raised at synth time, while the construct is being built. When
    several props are wrong at once (values of the wrong type), one error lists them all.

    :param prop: The prop, or option field, that is wrong, e.g. ``"job.memory"``.
    :param value: The value given.
    :param allowed: What is allowed instead, as a sentence for the user.
    :param more: Further wrong props found in the same check, listed after this one.
    """

    def __init__(
        self,
        prop: str,
        value: object,
        allowed: str,
        *,
        more: Sequence[PipelineConfigurationError] = (),
    ) -> None:
        self.prop = prop
        """The prop, or option field, that is wrong, e.g. ``"job.memory"``."""
        self.value = value
        """The value given."""
        self.allowed = allowed
        """What is allowed instead, as a sentence for the user."""
        self.problems: tuple[PipelineConfigurationError, ...] = (self, *more)
        """Every wrong prop this error reports: itself first, then ``more``."""
        lines = [f"invalid {p.prop}={as_written(p.value)}: {p.allowed}" for p in self.problems]
        if len(lines) == 1:
            super().__init__(f"BatchFilePipeline: {lines[0]}")
        else:
            listed = "".join(f"\n  - {line}" for line in lines)
            super().__init__(f"BatchFilePipeline: {len(lines)} props are wrong:{listed}")


_ExceptHook = Callable[[type[BaseException], BaseException, types.TracebackType | None], object]


def _report_configuration_errors_plainly(previous: _ExceptHook) -> None:
    """Chain an exception hook that prints an uncaught configuration error without its traceback."""

    def hook(
        kind: type[BaseException], error: BaseException, trace: types.TracebackType | None
    ) -> None:
        if (
            isinstance(error, PipelineConfigurationError)
            and os.environ.get(TRACEBACK_VARIABLE) != "1"
        ):
            print(error, file=sys.stderr)
            print(f"(set {TRACEBACK_VARIABLE}=1 to see where it was raised)", file=sys.stderr)
            return
        previous(kind, error, trace)

    sys.excepthook = hook


_report_configuration_errors_plainly(sys.excepthook)
