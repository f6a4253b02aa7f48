"""Structured logs: one JSON object per line on stdout, which CloudWatch Logs Insights parses."""

from __future__ import annotations

import json
import sys


def log(event: str, **fields: object) -> None:
    """Write one JSON line: ``{"event": event, **fields}``, leaving out fields that are None."""
    record = {
        "event": event,
        **{name: value for name, value in fields.items() if value is not None},
    }
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()
