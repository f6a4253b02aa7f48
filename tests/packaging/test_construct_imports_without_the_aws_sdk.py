"""The construct needs only aws-cdk-lib and constructs; the operator's --help needs no SDK either.

The wheel tests prove this in a fresh virtualenv, slowly; these catch a module-level
``import botocore`` on either path in seconds, by hiding the SDK from a subprocess.
"""

from __future__ import annotations

import subprocess
import sys

_HIDE_THE_SDK = """
import runpy, sys
for name in ("boto3", "botocore", "s3transfer"):
    sys.modules[name] = None  # an import of it now raises ImportError
"""


def _run_without_the_sdk(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _HIDE_THE_SDK + code],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_construct_imports_without_boto3_or_botocore() -> None:
    result = _run_without_the_sdk(
        "from batch_pipeline_construct import BatchFilePipeline, testing\n"
        "print('imported', BatchFilePipeline.__name__, testing.__name__)\n"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported BatchFilePipeline")


def test_the_operator_shows_its_help_without_boto3_or_botocore() -> None:
    # Without the [operator] extra, --help still works; a command then says what to install.
    result = _run_without_the_sdk(
        "sys.argv = ['batch-pipeline', '--help']\n"
        "runpy.run_module('batch_pipeline_construct.runtime.operator', run_name='__main__')\n"
    )

    assert result.returncode == 0, result.stderr
    assert "usage: batch-pipeline" in result.stdout
