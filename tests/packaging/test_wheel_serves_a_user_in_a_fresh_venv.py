"""A user's afternoon: install only the built wheel in a fresh virtualenv, snapshot-test a stack.

The user's stack passes nothing but ``dockerfile_path``; the test synthesizes the full flow, records
a snapshot with the package's syrupy fixture, edits the Dockerfile (the snapshot still passes) and
changes a prop (the snapshot fails). Dependencies come from the package index (uv's cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

USER_STACK = """
import aws_cdk as cdk
from batch_pipeline_construct import BatchFilePipeline, JobOptions

TIMEOUT_MINUTES = 60


class LabStack(cdk.Stack):
    def __init__(self, scope, construct_id):
        super().__init__(scope, construct_id)
        BatchFilePipeline(self, "Pipeline", dockerfile_path="container")
"""

USER_TEST = """
import json

import aws_cdk as cdk
from aws_cdk.assertions import Template
from lab_stack import LabStack

FULL_FLOW = {
    "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping",
    "AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::Batch::JobDefinition",
    "AWS::Events::Rule", "AWS::SNS::Topic", "Custom::S3BucketNotifications",
}


def test_lab_stack_is_the_full_flow_and_matches_its_snapshot(template_snapshot):
    stack = LabStack(cdk.App(), "Lab")
    types = {r["Type"] for r in Template.from_stack(stack).to_json()["Resources"].values()}
    assert FULL_FLOW <= types, FULL_FLOW - types
    assert template_snapshot == stack
"""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_a_fresh_virtualenv_with_only_the_wheel_runs_a_users_snapshot_test(
    wheel: Path, tmp_path: Path
) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is installed by scripts/bootstrap"
    venv = tmp_path / "venv"
    # The user's shell: none of this test session's virtualenv or pytest(-xdist) variables.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "VIRTUAL_ENV"))
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    created = _run([uv, "venv", "--python", sys.executable, str(venv)], tmp_path, env)
    assert created.returncode == 0, created.stderr
    installed = _run(
        [
            uv,
            "pip",
            "install",
            "--python",
            str(venv / "bin" / "python"),
            str(wheel),
            "pytest",
            "syrupy",
        ],
        tmp_path,
        env,
    )
    assert installed.returncode == 0, installed.stderr

    project = tmp_path / "lab"
    (project / "container").mkdir(parents=True)
    (project / "container" / "Dockerfile").write_text(
        "FROM public.ecr.aws/docker/library/python:3.12-slim\n"
    )
    (project / "lab_stack.py").write_text(textwrap.dedent(USER_STACK))
    (project / "conftest.py").write_text('pytest_plugins = ["batch_pipeline_construct.testing"]\n')
    (project / "test_lab_stack.py").write_text(textwrap.dedent(USER_TEST))
    pytest_cmd = [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]

    recorded = _run([*pytest_cmd, "--snapshot-update"], project, env)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert len(list((project / "__snapshots__").rglob("*.json"))) == 1

    with (project / "container" / "Dockerfile").open("a") as dockerfile:
        dockerfile.write("RUN pip install numpy\n")
    after_dockerfile_edit = _run(pytest_cmd, project, env)
    assert after_dockerfile_edit.returncode == 0, after_dockerfile_edit.stdout

    stack_file = project / "lab_stack.py"
    stack_file.write_text(
        stack_file.read_text().replace(
            'dockerfile_path="container")',
            'dockerfile_path="container", job=JobOptions(retry_attempts=2))',
        )
    )
    after_prop_change = _run(pytest_cmd, project, env)
    assert after_prop_change.returncode == 1, after_prop_change.stdout
    assert "snapshot" in after_prop_change.stdout.lower()
