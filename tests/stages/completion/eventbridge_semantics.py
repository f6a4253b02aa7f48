"""EventBridge's documented semantics, small and faithful, for testing rules offline.

Only what the pipeline's rules use is implemented; anything else raises, so a rule that starts
using more cannot pass by accident.

* Event patterns (EventBridge user guide, "Event patterns" and "Content filtering"): every field
  of the pattern must match; a list of values matches if any does; a literal matches an equal
  value (or, for an array in the event, any element); ``{"exists": true|false}`` matches a leaf
  the event has or lacks; a nested object descends into the event.
* Input transformers ("Amazon EventBridge input transformation"): ``InputPathsMap`` defines
  variables by JSON path (dot notation); "If you specify a variable to match a JSON path that
  doesn't exist in the event, that variable isn't created and won't appear in the output". In a
  JSON template, a placeholder outside quotes becomes the value as JSON (a string gets its
  quotes, as in the guide's "Simple JSON" example); inside a string the value's text is put in
  as it is ("EventBridge doesn't escape values extracted by Input Path").
"""

from __future__ import annotations

import json
import re
from typing import Any

_MISSING = object()
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` matches the event pattern ``pattern``."""
    for field, condition in pattern.items():
        value = event.get(field, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(condition, dict):
            if not matches(condition, {} if value is _MISSING else value):
                return False
        elif not any(_matches_one(matcher, value) for matcher in condition):
            return False
    return True


def _matches_one(matcher: Any, value: Any) -> bool:
    if isinstance(matcher, dict):
        if set(matcher) != {"exists"}:
            raise NotImplementedError(f"pattern operator {matcher} is not modelled")
        present = value is not _MISSING and not isinstance(value, dict)
        return present is matcher["exists"]
    if value is _MISSING:
        return False
    if isinstance(value, list):
        return matcher in value
    return bool(matcher == value)


def resolve_path(event: Any, path: str) -> Any:
    """The value at a ``$.a.b`` path, or ``_MISSING``."""
    if not path.startswith("$."):
        raise NotImplementedError(f"JSON path {path!r} is not modelled")
    value = event
    for name in path[2:].split("."):
        if not isinstance(value, dict) or name not in value:
            return _MISSING
        value = value[name]
    return value


def transform(input_paths_map: dict[str, str], input_template: str, event: Any) -> str:
    """The text EventBridge sends the target for ``event``."""
    variables = {}
    for name, path in input_paths_map.items():
        value = resolve_path(event, path)
        if value is not _MISSING:
            variables[name] = value
    output = []
    in_string = escaped = False
    position = 0
    while position < len(input_template):
        char = input_template[position]
        placeholder = _PLACEHOLDER.match(input_template, position)
        if placeholder is not None:
            name = placeholder.group(1)
            if name.startswith("aws.events."):
                raise NotImplementedError(f"reserved variable {name} is not modelled")
            if name in variables:
                value = variables[name]
                if in_string:
                    output.append(value if isinstance(value, str) else json.dumps(value))
                else:
                    output.append(json.dumps(value))
            position = placeholder.end()
            continue
        if in_string and char == "\\" and not escaped:
            escaped = True
        else:
            if char == '"' and not escaped:
                in_string = not in_string
            escaped = False
        output.append(char)
        position += 1
    return "".join(output)
