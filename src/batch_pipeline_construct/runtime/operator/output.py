"""What the commands print: sentences for a person, one JSON document with ``--json``."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any, TextIO


def emit(
    result: Mapping[str, Any], human: str, *, as_json: bool, out: TextIO | None = None
) -> None:
    """Print ``result`` as JSON when ``as_json``, else the sentence ``human``."""
    stream = out or sys.stdout
    if as_json:
        stream.write(json.dumps(result, default=str, sort_keys=True) + "\n")
    else:
        stream.write(human.rstrip("\n") + "\n")
    stream.flush()


def plural(count: int, noun: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
