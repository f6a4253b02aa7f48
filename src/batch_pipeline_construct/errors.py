"""Errors the construct raises for props that would fail at deploy time."""

from __future__ import annotations

from collections.abc import Sequence


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
        lines = [f"invalid {p.prop}={p.value!r}: {p.allowed}" for p in self.problems]
        if len(lines) == 1:
            super().__init__(f"BatchFilePipeline: {lines[0]}")
        else:
            listed = "".join(f"\n  - {line}" for line in lines)
            super().__init__(f"BatchFilePipeline: {len(lines)} props are wrong:{listed}")
