"""``batch-pipeline local --shared-data DIR``: a pipeline with shared data (EFS) runs locally with
a folder of this machine mounted where its jobs mount the file system, read-only as deployed;
without the folder the command says, in one line, what to pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from batch_pipeline_construct import SharedDataOptions
from batch_pipeline_construct.runtime.local.assembly import Pipeline
from batch_pipeline_construct.runtime.local.errors import LocalRunError
from batch_pipeline_construct.runtime.local.shared_data import Mount, shared_data_mount
from tests.runtime.local.conftest import Ran, run_local, write_files
from tests.support.pipeline_builders import build_pipeline

SHARED_DATA_APP = Path(__file__).parent / "shared_data_app"


def _pipeline(dockerfile_dir: Path, shared_data: SharedDataOptions | None) -> Pipeline:
    stack, _ = build_pipeline(dockerfile_dir, shared_data=shared_data)
    return Pipeline(
        stack="Stack",
        name="Stack/Pipeline",
        template=Template.from_stack(stack).to_json(),
        function_id="unused",
        function_code=dockerfile_dir,
        images={},
    )


@pytest.fixture(scope="module")
def dockerfile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("container")
    (folder / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.12-slim\n")
    return folder


def test_the_folder_goes_where_jobs_mount_shared_data_read_only(
    dockerfile_dir: Path, tmp_path: Path
) -> None:
    pipeline = _pipeline(dockerfile_dir, SharedDataOptions(mount_path="/reference"))
    assert shared_data_mount(pipeline, tmp_path) == Mount(tmp_path.resolve(), "/reference", True)


def test_a_writable_mount_stays_writable(dockerfile_dir: Path, tmp_path: Path) -> None:
    pipeline = _pipeline(
        dockerfile_dir, SharedDataOptions(path="/scratch", read_only=False, mount_path="/data")
    )
    assert shared_data_mount(pipeline, tmp_path) == Mount(tmp_path.resolve(), "/data", False)


def test_shared_data_without_a_folder_says_what_to_pass(dockerfile_dir: Path) -> None:
    pipeline = _pipeline(dockerfile_dir, SharedDataOptions())
    with pytest.raises(LocalRunError) as raised:
        shared_data_mount(pipeline, None)
    assert str(raised.value) == (
        "pipeline Stack/Pipeline mounts shared data (Amazon EFS) at /mnt/shared; "
        "pass --shared-data DIR to mount a folder there"
    )


def test_a_folder_the_pipeline_does_not_use_or_that_is_no_folder_is_refused(
    dockerfile_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(LocalRunError, match="mounts no shared data"):
        shared_data_mount(_pipeline(dockerfile_dir, None), tmp_path)
    assert shared_data_mount(_pipeline(dockerfile_dir, None), None) is None
    with pytest.raises(LocalRunError, match="is not a folder"):
        shared_data_mount(_pipeline(dockerfile_dir, SharedDataOptions()), tmp_path / "missing")


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    reference = write_files(
        tmp_path_factory.mktemp("reference"), {"reference.txt": b"hg38 index v2\n"}
    )
    reference.chmod(0o755)  # the job runs as a user of its own, as on EFS through the access point
    inputs = write_files(tmp_path_factory.mktemp("inputs"), {"sample.txt": b"ACGT\n"})
    return run_local(
        SHARED_DATA_APP,
        inputs,
        "--shared-data",
        reference,
        cwd=tmp_path_factory.mktemp("shared-data"),
    )


@pytest.mark.docker
def test_jobs_read_the_folder_at_shared_data_dir_and_cannot_write_it(shared_run: Ran) -> None:
    assert shared_run.returncode == 0, shared_run.stdout + shared_run.stderr
    result = json.loads((shared_run.out / "sample.txt" / "annotated.json").read_bytes())
    assert result == {
        "shared_data_dir": "/reference",
        "reference": "hg38 index v2\n",
        "input": "ACGT\n",
        "shared_data_writable": False,
    }


@pytest.mark.docker
def test_without_the_folder_the_run_stops_in_one_line(tmp_path: Path) -> None:
    inputs = write_files(tmp_path / "inputs", {"sample.txt": b"ACGT\n"})
    ran = run_local(SHARED_DATA_APP, inputs, cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines() == [
        "batch-pipeline local: pipeline SharedDataLocalRun/Pipeline mounts shared data "
        "(Amazon EFS) at /reference; pass --shared-data DIR to mount a folder there"
    ]
