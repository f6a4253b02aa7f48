"""``batch-pipeline local`` says what is wrong in one line and exits 2, never with a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from batch_pipeline_construct.runtime.local.assembly import ImageAsset
from batch_pipeline_construct.runtime.local.docker import build, docker_command
from batch_pipeline_construct.runtime.local.errors import LocalRunError
from tests.examples.example_apps import EXAMPLES_DIR
from tests.runtime.local.conftest import Ran, run_local


def _one_line(ran: Ran) -> str:
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stdout + ran.stderr
    (line,) = ran.stderr.strip().splitlines()
    return line


@pytest.fixture(scope="module")
def minimal_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal example, synthesized by the CDK CLI."""
    out = tmp_path_factory.mktemp("minimal-assembly") / "cdk.out"
    subprocess.run(
        ["cdk", "synth", "--quiet", "--output", str(out)],
        cwd=EXAMPLES_DIR / "minimal",
        check=True,
        capture_output=True,
    )
    return out


def test_a_path_that_does_not_exist(tmp_path: Path) -> None:
    line = _one_line(run_local(tmp_path / "no-app", tmp_path, cwd=tmp_path))
    assert line.endswith("no-app does not exist; give a CDK app folder or a cloud assembly")


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--parallel", "0", "give 1 or more"),
        ("--parallel", "-2", "give 1 or more"),
        ("--timeout", "0", "give a finite number above 0"),
        ("--timeout", "-1", "give a finite number above 0"),
    ],
)
def test_a_number_out_of_range_is_refused_before_any_work(
    tmp_path: Path, option: str, value: str, allowed: str
) -> None:
    ran = run_local(tmp_path, tmp_path, option, value, cwd=tmp_path)
    line = _one_line(ran)
    assert line.endswith(f"argument {option}: {value} is not allowed: {allowed} (see --help)")


def test_a_folder_that_is_no_app(tmp_path: Path) -> None:
    line = _one_line(run_local(tmp_path, tmp_path, cwd=tmp_path))
    assert "is neither a CDK app (no cdk.json) nor a cloud assembly" in line


def test_an_app_without_a_pipeline(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": {}}))
    line = _one_line(run_local(tmp_path, tmp_path / "manifest.json", cwd=tmp_path))
    assert (
        line
        == "batch-pipeline local: the app has no BatchFilePipeline (no arrival function in any stack)"
    )


def test_a_file_to_upload_that_does_not_exist(minimal_assembly: Path, tmp_path: Path) -> None:
    line = _one_line(run_local(minimal_assembly, tmp_path / "missing.txt", cwd=tmp_path))
    assert line.endswith("missing.txt does not exist; name files or folders to upload")


def test_no_docker(minimal_assembly: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CDK_DOCKER": "no-such-docker"}
    line = _one_line(
        run_local(minimal_assembly, minimal_assembly / "manifest.json", cwd=tmp_path, env=env)
    )
    assert (
        "Docker is required to run the job images locally and `no-such-docker` is not on PATH"
        in line
    )


@pytest.mark.docker
def test_an_image_that_does_not_build(minimal_assembly: Path, tmp_path: Path) -> None:
    broken = tmp_path / "cdk.out"
    shutil.copytree(minimal_assembly, broken, symlinks=True)
    (dockerfile,) = broken.glob("asset.*/Dockerfile")
    dockerfile.write_text("FROM public.ecr.aws/docker/library/debian:trixie-slim\nRUN exit 7\n")
    line = _one_line(run_local(broken, broken / "manifest.json", cwd=tmp_path))
    assert f"the job image in {dockerfile.parent} does not build" in line


@pytest.mark.parametrize("disk", ["0", "8MiB"])
def test_a_disk_size_that_is_not_a_whole_number_of_mib_above_0(disk: str, tmp_path: Path) -> None:
    line = _one_line(run_local(tmp_path, tmp_path, "--disk-mib", disk, cwd=tmp_path))
    assert "--disk-mib" in line and "is not" in line


@pytest.mark.docker
def test_an_image_whose_base_cannot_be_pulled_says_why(tmp_path: Path) -> None:
    # Docker prints "Step 1/1 : FROM ..." on stdout and the pull error on stderr.
    (tmp_path / "Dockerfile").write_text("FROM registry.invalid/lab/base:1\n")

    with pytest.raises(LocalRunError) as raised:
        build(docker_command(), ImageAsset(directory=tmp_path), "bpc-test-unpullable:1")

    assert "does not build: " in str(raised.value)
    assert "registry.invalid" in str(raised.value).split("does not build: ", 1)[1]
    assert "Step 1/1" not in str(raised.value)
