"""The built distribution, shared by the packaging tests: built once per session."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist, built from the working tree into a temporary folder."""
    out = tmp_path_factory.mktemp("dist")
    uv = shutil.which("uv")
    command = (
        [uv, "build", "--python", sys.executable, "--out-dir", str(out)]
        if uv
        else [sys.executable, "-m", "build", "--outdir", str(out)]
    )
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    [built] = dist.glob("*.whl")
    return built


@pytest.fixture(scope="session")
def sdist(dist: Path) -> Path:
    [built] = dist.glob("*.tar.gz")
    return built
