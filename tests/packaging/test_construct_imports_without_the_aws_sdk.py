"""The construct needs only aws-cdk-lib and constructs; the operator's --help needs no SDK either.

The wheel tests prove this in a fresh virtualenv, slowly; this one catches a module-level
``import botocore`` on the construct's import path in seconds, by hiding the SDK from a
subprocess and importing every public module of the construct there.
"""

from __future__ import annotations

import subprocess
import sys

_HIDE_THE_SDK_AND_IMPORT = """
import sys
for name in ("boto3", "botocore", "s3transfer"):
    sys.modules[name] = None  # an import of it now raises ImportError
import batch_pipeline_construct
from batch_pipeline_construct import BatchFilePipeline, testing
print("imported", BatchFilePipeline.__name__, testing.__name__)
"""


def test_the_construct_imports_without_boto3_or_botocore() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _HIDE_THE_SDK_AND_IMPORT],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported BatchFilePipeline")


_HIDE_THE_SDK_AND_ASK_THE_OPERATOR_FOR_HELP = """
import runpy, sys
for name in ("boto3", "botocore", "s3transfer"):
    sys.modules[name] = None
sys.argv = ["batch-pipeline", "--help"]
runpy.run_module("batch_pipeline_construct.runtime.operator", run_name="__main__")
"""


def test_the_operator_shows_its_help_without_boto3_or_botocore() -> None:
    # Without the [operator] extra, --help still works; a command then says what to install.
    result = subprocess.run(
        [sys.executable, "-c", _HIDE_THE_SDK_AND_ASK_THE_OPERATOR_FOR_HELP],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: batch-pipeline" in result.stdout
