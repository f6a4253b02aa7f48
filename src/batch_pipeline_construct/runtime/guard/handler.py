"""The cost guard function: AWS Budgets' forecast alert (through SNS) stops the pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .settings import GuardSettings
from .switch import stop_pipeline


def handler(event: Mapping[str, Any], context: object) -> dict[str, object]:
    """Stop the pipeline; the budget's notification text becomes the reason."""
    notices = [record["Sns"]["Message"] for record in event.get("Records", [])]
    reason = " ".join(notices) or "the monthly budget's forecast passed its threshold"
    return stop_pipeline(GuardSettings.from_environ(), reason[:1000])
