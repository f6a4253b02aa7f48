"""The package is typed: mypy flags a user's stack that passes a wrong type to a prop.

aws-cdk-lib's own modules are skipped (``follow_imports = skip``): analysing them takes minutes,
and the types under test are this package's props and option types.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from mypy import api

CONFIG = """
[mypy]
strict = True
disallow_subclassing_any = False
cache_dir = /dev/null
[mypy-aws_cdk.*,constructs.*,jsii.*]
follow_imports = skip
"""

USER_STACK = """
import aws_cdk as cdk
from constructs import Construct

from batch_pipeline_construct import BatchFilePipeline, ComputeOptions, ComputeType, JobOptions


class UserStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        BatchFilePipeline(
            self, "Good", dockerfile_path="container", compute=ComputeOptions(type=ComputeType.EC2)
        )
        {bad}
"""


def _mypy(tmp_path: Path, bad: str) -> list[str]:
    (tmp_path / "mypy.ini").write_text(CONFIG)
    (tmp_path / "user_stack.py").write_text(textwrap.dedent(USER_STACK).replace("{bad}", bad))
    stdout, _, _ = api.run(
        ["--config-file", str(tmp_path / "mypy.ini"), str(tmp_path / "user_stack.py")]
    )
    return [line for line in stdout.splitlines() if ": error:" in line]


def test_a_correct_stack_type_checks(tmp_path: Path) -> None:
    assert _mypy(tmp_path, "pass") == []


def test_wrong_prop_types_are_flagged(tmp_path: Path) -> None:
    errors = _mypy(
        tmp_path,
        "\n        ".join(
            [
                'BatchFilePipeline(self, "A", dockerfile_path="c", compute=ComputeType.EC2)',
                'BatchFilePipeline(self, "B", dockerfile_path=3)',
                'BatchFilePipeline(self, "C", dockerfile_path="c", mode=ComputeOptions())',
                'JobOptions(retry_attempts="3")',
                'BatchFilePipeline(self, "D", "c")',
            ]
        ),
    )
    assert len(errors) == 5, errors
    assert (
        'Argument "compute" to "BatchFilePipeline" has incompatible type "ComputeType"' in errors[0]
    )
    assert (
        'Argument "dockerfile_path" to "BatchFilePipeline" has incompatible type "int"' in errors[1]
    )
    assert 'Argument "mode"' in errors[2]
    assert 'Argument "retry_attempts" to "JobOptions" has incompatible type "str"' in errors[3]
    assert "Too many positional arguments" in errors[4]
