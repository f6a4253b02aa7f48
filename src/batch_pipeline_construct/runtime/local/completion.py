"""Completion messages, made by the template's own EventBridge rules from Batch job state changes.

Each rule whose target is one of the template's SNS topics is applied to the local Batch event:
its event pattern is matched and its target's ``InputTransformer`` (or constant ``Input``) renders
the message, so the messages are shaped exactly as the completion topic's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r'("?)<([A-Za-z0-9_.-]+)>("?)')
_MISSING = object()


def _path(document: Any, path: str) -> Any:
    """The value at a JSONPath of the ``$.a.b[0]`` form, or ``_MISSING``."""
    value = document
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.removeprefix("$")):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(value, list) or index >= len(value):
                return _MISSING
            value = value[index]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


def _matches_value(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        if "exists" in rule:
            return (value is not _MISSING) == bool(rule["exists"])
        if "prefix" in rule:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        if "anything-but" in rule:
            excluded = rule["anything-but"]
            excluded = excluded if isinstance(excluded, list) else [excluded]
            return value is not _MISSING and value not in excluded
        return False
    return bool(value == rule)


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` matches an EventBridge event ``pattern`` (the parts pipelines use)."""
    for key, rule in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(rule, dict):
            if not matches(rule, value):
                return False
            continue
        candidates = value if isinstance(value, list) else [value]
        if not any(_matches_value(item, candidate) for item in rule for candidate in candidates):
            return False
    return True


def transform(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """Render an ``InputTransformer`` as EventBridge does.

    EventBridge creates no variable for a path the event lacks, so its placeholder renders as
    nothing: ``""`` inside quotes, ``null`` here outside them (where nothing is not JSON).
    """
    values = {
        name: _path(event, path) for name, path in transformer.get("InputPathsMap", {}).items()
    }
    template: str = transformer["InputTemplate"]

    def render(match: re.Match[str]) -> str:
        opening, name, closing = match.groups()
        if name not in values and name != "aws.events.event":
            return match.group(0)
        value = event if name == "aws.events.event" else values[name]
        if value is _MISSING and opening and closing:
            return '""'
        value = None if value is _MISSING else value
        if opening and closing:
            inner = value if isinstance(value, str) else json.dumps(value)
            return '"' + json.dumps(inner)[1:-1] + '"'
        return opening + json.dumps(value) + closing

    rendered = _PLACEHOLDER.sub(render, template)
    try:
        return json.loads(rendered)
    except ValueError:
        return rendered


@dataclass(frozen=True)
class CompletionRule:
    """One rule of the template that publishes Batch events to one of its topics."""

    name: str
    pattern: dict[str, Any]
    targets: list[dict[str, Any]]

    def messages(self, event: dict[str, Any]) -> list[Any]:
        """The messages this rule's topic targets get for ``event`` (none when it doesn't match)."""
        if not matches(self.pattern, event):
            return []
        rendered = []
        for target in self.targets:
            if "InputTransformer" in target:
                rendered.append(transform(target["InputTransformer"], event))
            elif "Input" in target:
                rendered.append(json.loads(target["Input"]))
            elif "InputPath" in target:
                rendered.append(_path(event, target["InputPath"]))
            else:
                rendered.append(event)
        return rendered


def completion_rules(
    resources: dict[str, Any], resolve: Callable[[Any], Any]
) -> list[CompletionRule]:
    """The template's rules on Batch events that target one of its SNS topics, resolved."""
    topics = {
        resolve({"Ref": logical_id})
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::SNS::Topic"
    }
    rules = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Events::Rule":
            continue
        properties = resolve(resource.get("Properties", {}))
        pattern = properties.get("EventPattern", {})
        if "aws.batch" not in pattern.get("source", []):
            continue
        targets = [
            target for target in properties.get("Targets", []) if target.get("Arn") in topics
        ]
        if targets:
            rules.append(CompletionRule(name=logical_id, pattern=pattern, targets=targets))
    return rules
