"""The job image's build context holds the user's files and the construct's own job resolver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from batch_pipeline_construct import PipelineConfigurationError
from batch_pipeline_construct._stages.job_image import JOB_PACKAGE, staged_build_context
from batch_pipeline_construct.runtime import job


@pytest.fixture
def user_context(tmp_path: Path) -> Path:
    folder = tmp_path / "container"
    (folder / "lib").mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM scratch\n")
    (folder / "lib" / "work.py").write_text("print('work')\n")
    (folder / "cdk.out").mkdir()
    (folder / "cdk.out" / "manifest.json").write_text("{}")
    return folder


def test_staged_context_holds_the_users_files_and_the_resolver_package(user_context: Path) -> None:
    staged = staged_build_context(user_context)
    assert (staged / "lib" / "work.py").read_text() == "print('work')\n"
    assert not (staged / "cdk.out").exists()
    shipped = {path.name: path.read_bytes() for path in (staged / JOB_PACKAGE).iterdir()}
    own = {path.name: path.read_bytes() for path in Path(job.__file__).parent.glob("*.py")}
    assert shipped == own


def test_staged_resolver_runs_with_nothing_but_its_own_package(user_context: Path) -> None:
    staged = staged_build_context(user_context)
    contract = {"INPUT_BUCKET": "in", "INPUT_KEY": "a b.csv", "OUTPUT_BUCKET": "out"}
    printed = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import runpy, sys; sys.path.insert(0, sys.argv[1]); "
            f"sys.argv = ['resolver', '--print']; runpy.run_module('{JOB_PACKAGE}.resolver', run_name='__main__')",
            str(staged),
        ],
        env={"PATH": os.environ["PATH"], **contract},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(printed.stdout) == contract


def test_an_edit_to_the_users_files_stages_a_new_context(user_context: Path) -> None:
    before = staged_build_context(user_context)
    assert staged_build_context(user_context) == before
    (user_context / "lib" / "work.py").write_text("print('changed work')\n")
    after = staged_build_context(user_context)
    assert after != before
    assert (after / "lib" / "work.py").read_text() == "print('changed work')\n"


def test_a_context_with_its_own_resolver_folder_is_rejected(user_context: Path) -> None:
    (user_context / JOB_PACKAGE).mkdir()
    with pytest.raises(PipelineConfigurationError, match=JOB_PACKAGE):
        staged_build_context(user_context)
