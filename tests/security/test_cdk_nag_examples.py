"""Every example app passes cdk-nag's AwsSolutions pack: nothing found that is not acknowledged.

A new finding fails the test with the rule, the construct path and how to acknowledge it, read
from the synthesis's ``validation-report.json``. Findings of the construct are fixed (or
acknowledged) in the construct; an example may acknowledge only what the example itself does,
on its own resource and for the exact finding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.security.nag_checked_examples import EXAMPLES, CheckedExample

AWS_SOLUTIONS = "AwsSolutions"


def _plugin(checked: CheckedExample) -> dict[str, Any]:
    (plugin,) = [
        plugin
        for plugin in checked.report["pluginReports"]
        if plugin["pluginName"] == AWS_SOLUTIONS
    ]
    report: dict[str, Any] = plugin
    return report


def _describe(violation: dict[str, Any]) -> list[str]:
    return [
        f"{violation['ruleName']} ({violation['severity']}) at {construct['constructPath']}: "
        f"{violation['description']}"
        for construct in violation["violatingConstructs"]
    ]


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_has_no_unacknowledged_aws_solutions_findings(
    example: str, checked_example: Callable[[str], CheckedExample]
) -> None:
    checked = checked_example(example)
    plugin = _plugin(checked)
    findings = [line for violation in plugin["violations"] for line in _describe(violation)]
    assert findings == [], f"cdk-nag findings in examples/{example}:\n" + "\n".join(findings)
    assert plugin["conclusion"] == "success"
    assert not checked.validation_failed


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_acknowledgement_names_one_finding_on_its_resource_with_a_reason(
    example: str, checked_example: Callable[[str], CheckedExample]
) -> None:
    checked = checked_example(example)
    suppressed = _plugin(checked)["suppressedViolations"]
    # Every pipeline acknowledges at least its object-ARN wildcards: the report must show them.
    assert suppressed, "expected the construct's acknowledgements in the report"
    problems = []
    for violation in suppressed:
        at = violation["acknowledgedAt"]
        paths = [construct["constructPath"] for construct in violation["violatingConstructs"]]
        if violation["acknowledgedId"] != f"{AWS_SOLUTIONS}::{violation['ruleName']}":
            problems.append(f"{violation['acknowledgedId']} does not name the exact finding")
        if len(violation.get("reason", "").split()) < 5:
            problems.append(f"{violation['ruleName']} at {at} has no real reason")
        # Scoped to the resource (or the construct that makes it), never to a whole stack.
        if at.count("/") < 1 or not all(path.startswith(f"{at}/") for path in paths):
            problems.append(f"{violation['ruleName']} acknowledged at {at} for {paths}")
    assert problems == [], "\n".join(problems)
