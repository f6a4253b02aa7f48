"""The arrival Lambda runs the package's runtime module, shipped as an asset, on the newest Python."""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda
from aws_cdk.assertions import Template

import batch_pipeline_construct
from batch_pipeline_construct.runtime import settings
from tests.support.pipeline_builders import build_pipeline


def _newest_python_runtime() -> str:
    pythons = [
        getattr(aws_lambda.Runtime, n) for n in dir(aws_lambda.Runtime) if n.startswith("PYTHON_")
    ]
    return max(
        (r.name for r in pythons), key=lambda name: tuple(int(p) for p in name[6:].split("."))
    )


def test_function_runs_the_runtime_handler_on_the_newest_python(default_template: Template) -> None:
    function = next(
        f
        for k, f in default_template.find_resources("AWS::Lambda::Function").items()
        if "Arrival" in k
    )
    assert function["Properties"]["Runtime"] == _newest_python_runtime()
    assert function["Properties"]["Handler"] == "runtime.arrival.handler.handler"
    assert "ZipFile" not in function["Properties"]["Code"]


def test_function_is_told_its_pipeline_through_the_settings_names(
    default_template: Template,
) -> None:
    function = next(
        f
        for k, f in default_template.find_resources("AWS::Lambda::Function").items()
        if "Arrival" in k
    )
    variables = function["Properties"]["Environment"]["Variables"]
    for name in (
        settings.JOB_QUEUE_ARN,
        settings.JOB_DEFINITION_NAME,
        settings.INPUT_BUCKET,
        settings.OUTPUT_BUCKET,
        settings.DEAD_LETTER_QUEUE_URL,
        settings.FILE_RECORDS_TABLE,
    ):
        assert name in variables
    assert settings.BULK_MODE not in variables


def _staged_files(stack: cdk.Stack) -> set[str]:
    assembly = cdk.App.of(stack).synth()  # type: ignore[union-attr]
    template = Template.from_stack(stack)
    function = next(
        f for k, f in template.find_resources("AWS::Lambda::Function").items() if "Arrival" in k
    )
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    staged = Path(assembly.directory) / f"asset.{asset_hash}"
    return {str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file()}


def test_asset_holds_the_runtime_package_only(dockerfile_dir: Path) -> None:
    stack, _ = build_pipeline(dockerfile_dir)
    files = _staged_files(stack)
    assert "runtime/arrival/handler.py" in files
    assert "runtime/settings.py" in files
    assert all(f.startswith("runtime/") for f in files), files
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)


def test_asset_hash_ignores_bytecode_caches(dockerfile_dir: Path) -> None:
    runtime_dir = Path(batch_pipeline_construct.__file__).parent / "runtime"
    stray = runtime_dir / "__pycache__" / "stray.cpython-311.pyc"
    before = Template.from_stack(build_pipeline(dockerfile_dir)[0]).to_json()
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(os.urandom(64))
    try:
        after = Template.from_stack(build_pipeline(dockerfile_dir)[0]).to_json()
    finally:
        stray.unlink()
    assert before == after


def test_assets_resolve_relative_to_the_package_not_the_current_directory(
    dockerfile_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = Template.from_stack(build_pipeline(dockerfile_dir)[0]).to_json()
    monkeypatch.chdir(tmp_path)
    after = Template.from_stack(build_pipeline(dockerfile_dir)[0]).to_json()
    assert before == after
