"""The construct's own runtime dependencies are aws-cdk-lib and constructs: no boto3 or botocore.

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
