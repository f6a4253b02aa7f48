"""CI runs the test command only, so the lint and type checks of the build are part of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINTED = ["src", "tests", "scripts", "examples", "benchmarks", "integ", ".projenrc.py"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing() -> None:
    paths = [p for p in LINTED if (ROOT / p).exists()]
    check = _run("ruff", "check", *paths)
    assert check.returncode == 0, check.stdout
    formatting = _run("ruff", "format", "--check", *paths)
    assert formatting.returncode == 0, formatting.stdout


def test_package_and_shared_test_helpers_are_mypy_strict_clean() -> None:
    # tests/support is shared with benchmarks/, so it is held to the package's standard.
    result = _run("mypy", "--strict", "src/batch_pipeline_construct", "tests/support")
    assert result.returncode == 0, result.stdout
