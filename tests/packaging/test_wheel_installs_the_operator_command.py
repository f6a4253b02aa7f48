"""An operator's first minutes: ``pip install "batch-pipeline-construct[operator]"`` in a fresh
virtualenv gives the ``batch-pipeline`` command, whose mistakes are one line, never a traceback;
without the extra, the command says what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=900, check=False)


def _venv(tmp_path: Path, name: str, *requirements: str) -> tuple[Path, dict[str, str]]:
    uv = shutil.which("uv")
    assert uv, "uv is installed by scripts/bootstrap"
    venv = tmp_path / name
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "VIRTUAL_ENV", "AWS_"))
    }
    env |= {
        "UV_PYTHON_DOWNLOADS": "never",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    created = _run([uv, "venv", "--python", sys.executable, str(venv)], env)
    assert created.returncode == 0, created.stderr
    python = str(venv / "bin" / "python")
    installed = _run([uv, "pip", "install", "--python", python, *requirements], env)
    assert installed.returncode == 0, installed.stderr
    return venv / "bin", env


def test_the_operator_extra_installs_a_command_that_never_shows_a_traceback(
    wheel: Path, tmp_path: Path
) -> None:
    bin_dir, env = _venv(tmp_path, "operator", f"{wheel}[operator]")
    command = str(bin_dir / "batch-pipeline")

    helped = _run([command, "--help"], env)
    assert helped.returncode == 0
    for name in ("status", "failed", "retry", "reprocess", "redrive"):
        assert name in helped.stdout

    for arguments, message in [
        (["redrive", "--stack", "Lab", "--max", "0"], "argument --max: 0 is not allowed"),
        (["retry", "--stack", "Lab", "--max", "-1"], "unrecognized arguments: --max -1"),
        (["status", "--stack", "Lab"], "no AWS credentials found"),
        (["reprocess", "--function", "f", "--profile", "lab"], "profile (lab) could not be found"),
    ]:
        result = _run([command, *arguments], env)
        assert result.returncode == 2, (arguments, result.stderr)
        assert message in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_without_the_extra_the_command_says_what_to_install(wheel: Path, tmp_path: Path) -> None:
    bin_dir, env = _venv(tmp_path, "plain", str(wheel))
    module = [str(bin_dir / "python"), "-m", "batch_pipeline_construct.runtime.operator"]

    assert _run([*module, "--help"], env).returncode == 0
    result = _run([*module, "status", "--stack", "Lab"], env)

    assert result.returncode == 2
    assert result.stderr == (
        "batch-pipeline: error: the operator commands need boto3:"
        ' pip install "batch-pipeline-construct[operator]"\n'
    )
