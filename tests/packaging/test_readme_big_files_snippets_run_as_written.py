"""The README's "Big files and shared data" snippets run exactly as a user copies them.

The construct snippets run in a stack's ``__init__`` (their ``self``), beside a ``container/``
folder, with cdk-nag's AwsSolutions checks; the streaming snippet runs as a job against moto's S3,
with the contract's variables, and downloads a small file but streams one that does not fit.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import Validations, aws_ec2, aws_efs
from cdk_nag import AwsSolutionsChecks
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Big files and shared data") : README.index("## Cost guard")]
OPENING, SIZES, STREAMING, SHARED_DATA = re.findall(r"```python\n(.*?)```", SECTION, re.DOTALL)


def _synthesize_in_a_stack(code: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``code`` as the body of a stack's ``__init__`` with the names its prose gives it."""
    (folder / "container").mkdir()
    (folder / "container" / "Dockerfile").write_text(
        "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
    )
    monkeypatch.chdir(folder)
    app = cdk.App(outdir=str(folder / "cdk.out"))
    stack = cdk.Stack(app, "Lab")
    lab_vpc = aws_ec2.Vpc(stack, "LabVpc", flow_logs={"FlowLogs": aws_ec2.FlowLogOptions()})
    reference = aws_efs.FileSystem(
        stack,
        "Reference",
        vpc=lab_vpc,
        security_group=aws_ec2.SecurityGroup(stack, "ReferenceClients", vpc=lab_vpc),
    )
    exec(code, {"self": stack, "lab_vpc": lab_vpc, "reference": reference})
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises ValidationFailed on any unacknowledged finding


@pytest.mark.parametrize("code", [OPENING, SHARED_DATA], ids=["opening", "shared-data"])
def test_a_pipeline_snippet_synthesizes_cdk_nag_clean(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _synthesize_in_a_stack(code, tmp_path, monkeypatch)


def test_the_sizing_classes_snippet_is_a_job_a_fargate_pipeline_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = SIZES + '\nBatchFilePipeline(self, "Pipeline", dockerfile_path="container", job=job)\n'

    _synthesize_in_a_stack(
        "from batch_pipeline_construct import BatchFilePipeline\n" + code, tmp_path, monkeypatch
    )


def _run_the_streaming_job(size: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lab-input")
        s3.put_object(Bucket="lab-input", Key="scans/a.txt", Body=b"line\n" * 1000)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("INPUT_BUCKET", "lab-input")
        monkeypatch.setenv("INPUT_KEY", "scans/a.txt")
        monkeypatch.setenv("INPUT_SIZE", str(size))
        job: dict[str, Any] = {}
        exec(STREAMING, job)
        return job


def test_the_streaming_snippet_downloads_a_file_that_fits_half_the_free_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the job's scratch folder

    job = _run_the_streaming_job(5000, monkeypatch)

    assert Path(job["path"]).read_bytes() == b"line\n" * 1000


def test_the_streaming_snippet_streams_a_file_larger_than_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the job's scratch folder
    larger_than_the_disk = shutil.disk_usage(tmp_path).total + 1

    job = _run_the_streaming_job(larger_than_the_disk, monkeypatch)

    assert job["chunk"] == b"line\n" * 1000  # read from the body, in one chunk of up to 1 MiB
    assert not Path(job["path"]).exists()
