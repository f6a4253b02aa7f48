"""Errors the construct raises for props that would fail at deploy time."""


class PipelineConfigurationError(ValueError):
    """A prop of ``BatchFilePipeline`` has a value that AWS would reject or that conflicts with another prop.

    The message names the prop, the value given and what is allowed, so it can be fixed
    without a deploy. It is raised at synth time, while the construct is being built.
    """

    def __init__(self, prop: str, value: object, allowed: str) -> None:
        self.prop = prop
        """The prop, or option field, that is wrong, e.g. ``"job.memory"``."""
        self.value = value
        """The value given."""
        self.allowed = allowed
        """What is allowed instead, as a sentence for the user."""
        super().__init__(f"BatchFilePipeline: invalid {prop}={value!r}: {allowed}")
