"""The declared aws-cdk-lib floor is real: the examples synthesize on exactly that release.

A fresh virtualenv gets the oldest aws-cdk-lib and constructs that ``pyproject.toml`` allows, plus
the built wheel, and synthesizes every example app there (the locked, newest aws-cdk-lib is what
the rest of the suite uses). Packages come from uv's cache after the first run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.examples.example_apps import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.packaging

SYNTHESIZE_EXAMPLES = """
import importlib.util, os, sys, tempfile
from pathlib import Path

for folder in map(Path, sys.argv[1:]):
    os.chdir(folder)
    spec = importlib.util.spec_from_file_location(f"{folder.name}_app", folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    with tempfile.TemporaryDirectory() as out:
        module.build_app(outdir=out).synth()
    print("synthesized", folder.name)
"""


def _floor(package: str) -> str:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (spec,) = [d for d in dependencies if re.match(rf"{re.escape(package)}\s*>=", d)]
    match = re.search(r">=\s*([\w.]+)", spec)
    assert match, spec
    return match.group(1)


def test_the_examples_synthesize_on_the_declared_floor(wheel: Path, tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is installed by scripts/bootstrap"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    venv = tmp_path / "venv"
    python = str(venv / "bin" / "python")
    floor = f"aws-cdk-lib=={_floor('aws-cdk-lib')}"
    constructs = f"constructs=={_floor('constructs')}"

    created = subprocess.run(
        [uv, "venv", "--python", sys.executable, str(venv)], env=env, capture_output=True, text=True
    )
    assert created.returncode == 0, created.stderr
    installed = subprocess.run(
        [uv, "pip", "install", "--python", python, floor, constructs, str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr
    versions = subprocess.run(
        [uv, "pip", "freeze", "--python", python], env=env, capture_output=True, text=True
    ).stdout.splitlines()
    assert floor in versions and constructs in versions

    folders = [str(ROOT / "examples" / name) for name in EXAMPLES]
    synthesized = subprocess.run(
        [python, "-c", SYNTHESIZE_EXAMPLES, *folders],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert synthesized.returncode == 0, synthesized.stdout + synthesized.stderr[-3000:]
    assert [line.split()[1] for line in synthesized.stdout.splitlines()] == list(EXAMPLES)
