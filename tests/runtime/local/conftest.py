"""Fixtures of the local-run tests: sample files and the command, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TEXTS = {
    "a.txt": b"the quick brown fox\n",
    "b.txt": b"jumps over\nthe lazy dog\n",
    "notes/c d.txt": b"hello world\n",
}
"""Three text files the minimal example's job summarizes."""
NOT_TEXT = {"scan.bin": b"GIF89a\xff\xfe\x00binary"}
"""A file the minimal example's job rejects (exit code 3)."""


@dataclass(frozen=True)
class Ran:
    """One run of ``batch-pipeline local``: its exit code, what it printed, its output folder."""

    returncode: int
    stdout: str
    stderr: str
    out: Path


def write_files(folder: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (key: content) under ``folder``; returns it."""
    for key, body in files.items():
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(body)
    return folder


def run_local(*arguments: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Ran:
    """Run the command ``local`` of the console script's module with ``arguments``."""
    out = cwd / "local-run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "batch_pipeline_construct.runtime.operator",
            "local",
            *map(str, arguments),
            "--out",
            str(out),
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr, out)


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the three text files and the file the job rejects."""
    return write_files(tmp_path_factory.mktemp("inputs"), {**TEXTS, **NOT_TEXT})
