"""A wrong prop ends ``cdk synth`` (the user's app) with our message, not a Python traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from batch_pipeline_construct.errors import TRACEBACK_VARIABLE

_APP = """
import aws_cdk as cdk
from batch_pipeline_construct import BatchFilePipeline, JobOptions
app = cdk.App()
stack = cdk.Stack(app, "Lab")
BatchFilePipeline(stack, "Pipeline", dockerfile_path={folder!r}, job=JobOptions(memory=4096))
app.synth()
"""


def _run_app(dockerfile_dir: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _APP.format(folder=str(dockerfile_dir))],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **environment},
    )


def test_the_app_exits_non_zero_with_the_message_alone(dockerfile_dir: Path) -> None:
    ran = _run_app(dockerfile_dir)

    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr
    first, hint = ran.stderr.strip().splitlines()
    assert first.startswith("BatchFilePipeline: invalid job.memory=4096:")
    assert "Size.mebibytes(4096)" in first
    assert TRACEBACK_VARIABLE in hint


def test_the_traceback_is_there_for_whoever_asks(dockerfile_dir: Path) -> None:
    ran = _run_app(dockerfile_dir, **{TRACEBACK_VARIABLE: "1"})

    assert ran.returncode == 1
    assert "Traceback" in ran.stderr
    assert "PipelineConfigurationError: BatchFilePipeline: invalid job.memory" in ran.stderr


def test_other_errors_keep_their_traceback() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", "import batch_pipeline_construct.errors\nraise KeyError('x')"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert ran.returncode == 1
    assert "Traceback" in ran.stderr and "KeyError: 'x'" in ran.stderr
