"""cfn-lint finds no error and no warning in any example's synthesized templates.

Only W3005 ("DependsOn is redundant") is ignored: aws-cdk-lib itself adds those DependsOn, on the
role of a Lambda function (the arrival function and the bucket-notifications handler depend on
their role although they also GetAtt it, so that the role's policy exists first) and on the queue
of an S3 bucket notification (so that the queue policy is in place before S3 tests the target).
They are deliberate, harmless, and not ours to remove. Informational checks (``I...``) do not count.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cfnlint.api import REGIONS, ManualArgs, lint

from tests.security.nag_checked_examples import EXAMPLES, CheckedExample

IGNORED = ["W3005"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_templates_have_no_cfn_lint_errors_or_warnings(
    example: str, checked_example: Callable[[str], CheckedExample]
) -> None:
    checked = checked_example(example)
    templates = checked.templates()
    regions = checked.stack_regions()
    assert templates, f"examples/{example} synthesized no stack"
    problems = []
    for stack, template in templates.items():
        # An environment-agnostic stack can be deployed anywhere: lint it for every region.
        stack_regions = [regions[stack]] if regions[stack] else REGIONS
        matches = lint(
            template.read_text(),
            config=ManualArgs(regions=stack_regions, ignore_checks=IGNORED),
        )
        problems += [
            f"{stack}: {match.rule.id} {match.message} at {'/'.join(map(str, match.path))}"
            for match in matches
            if match.rule.id[0] in "EW"
        ]
    assert problems == [], "\n".join(problems)
