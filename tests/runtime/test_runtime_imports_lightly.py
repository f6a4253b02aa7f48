"""The runtime package works as the Lambda asset (``runtime`` at the top level) and imports
neither the CDK nor boto3 until a client is needed, so cold starts stay short."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import batch_pipeline_construct

PACKAGE_DIR = Path(batch_pipeline_construct.__file__).parent


def imported_after(statement: str, pythonpath: Path) -> dict[str, bool]:
    script = (
        f"{statement}\nimport json, sys\n"
        "print(json.dumps({name: name in sys.modules for name in ('boto3', 'aws_cdk', 'constructs')}))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(completed.stdout))


def test_the_handler_imports_as_the_lambda_asset_without_cdk_or_boto3() -> None:
    loaded = imported_after("from runtime.arrival.handler import handler", PACKAGE_DIR)

    assert loaded == {"boto3": False, "aws_cdk": False, "constructs": False}


def test_the_job_resolver_imports_from_the_library_without_cdk() -> None:
    loaded = imported_after(
        "import batch_pipeline_construct.runtime.job.resolver", PACKAGE_DIR.parent
    )

    assert loaded["aws_cdk"] is False and loaded["constructs"] is False
