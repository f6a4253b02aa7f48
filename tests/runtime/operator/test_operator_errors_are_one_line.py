"""Every mistake an operator can make ends in one line on stderr and a non-zero exit, never a
traceback: through ``main`` and through the installed ``batch-pipeline`` console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.operator.errors import EXIT_UNUSABLE
from tests.runtime.operator.deployed import deploy_function
from tests.runtime.runtime_pipeline import Pipeline

SCRIPT = shutil.which("batch-pipeline", path=str(Path(sys.executable).parent))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["redrive", "--function", "f", "--max", "0"], "argument --max: 0 is not allowed"),
        (["redrive", "--function", "f", "--max", "-3"], "argument --max: -3 is not allowed"),
        (["redrive", "--function", "f", "--max", "many"], "argument --max: 'many' is not a whole"),
        (["redrive", "--function", "f", "--time-limit", "0"], "argument --time-limit: 0 is not"),
        (["reprocess", "--function", "f", "--bogus"], "unrecognized arguments: --bogus"),
        (["explode"], "argument COMMAND: invalid choice: 'explode'"),
    ],
)
def test_bad_arguments_are_refused_before_any_aws_call(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(arguments)

    assert exit_.value.code == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_missing_credentials_are_one_line(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _without_credentials(monkeypatch)

    assert main(["redrive", "--function", "f"]) == EXIT_UNUSABLE
    assert capsys.readouterr().err == (
        "batch-pipeline: error: no AWS credentials found: run `aws configure` or"
        " `aws sso login`, set AWS_PROFILE, or pass --profile\n"
    )


def test_an_unknown_profile_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["redrive", "--function", "f", "--profile", "nope"]) == EXIT_UNUSABLE
    assert capsys.readouterr().err.startswith(
        "batch-pipeline: error: The config profile (nope) could not be found"
    )


def test_an_aws_refusal_is_one_line(
    pipeline: Pipeline,
    function: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pipeline.configure(BPC_DEAD_LETTER_QUEUE_URL=pipeline.dead_letter_queue_url + "-gone")
    deploy_function("gone-queue", dict(pipeline.environ))

    assert main(["redrive", "--function", "gone-queue"]) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert err.startswith("batch-pipeline: error: AWS refused ReceiveMessage: ")
    assert err.count("\n") == 1


def _without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _console_script(arguments: list[str], **environ: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None, "the batch-pipeline console script is not installed"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        **environ,
    }
    return subprocess.run(
        [SCRIPT, *arguments], capture_output=True, text=True, env=env, timeout=120, check=False
    )


SERVER_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.mark.parametrize(
    ("arguments", "environ", "message"),
    [
        (
            ["redrive", "--function", "f", "--max", "0"],
            {},
            "batch-pipeline redrive: error: argument --max: 0 is not allowed: give 1 or more"
            " (see --help)",
        ),
        (
            ["reprocess", "--function", "f"],
            {"AWS_DEFAULT_REGION": "us-east-1"},
            "batch-pipeline: error: no AWS credentials found: run `aws configure` or"
            " `aws sso login`, set AWS_PROFILE, or pass --profile",
        ),
        (
            ["redrive", "--function", "f"],
            {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
            "batch-pipeline: error: no AWS Region: pass --region, set AWS_REGION,"
            " or set a region in your profile",
        ),
        (
            ["redrive", "--stack", "Lab", "--profile", "lab"],
            {},
            "batch-pipeline: error: The config profile (lab) could not be found"
            " (see ~/.aws/config, or leave out --profile)",
        ),
    ],
)
def test_the_console_script_reports_mistakes_in_one_line(
    arguments: list[str], environ: dict[str, str], message: str
) -> None:
    result = _console_script(arguments, **environ)

    assert result.returncode == EXIT_UNUSABLE
    assert result.stderr == message + "\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["redrive", "--function", "nope"],
            "no Lambda function 'nope' in us-east-1 (deployed to another Region? pass --region)",
        ),
        (
            ["redrive", "--stack", "Nope"],
            "no CloudFormation stack 'Nope' in us-east-1 (deployed to another Region? pass --region)",
        ),
    ],
)
def test_the_console_script_names_what_aws_does_not_have(
    moto_server: str, arguments: list[str], message: str
) -> None:
    result = _console_script(arguments, AWS_ENDPOINT_URL=moto_server, **SERVER_CREDENTIALS)

    assert result.stderr == f"batch-pipeline: error: {message}\n"
    assert result.returncode == EXIT_UNUSABLE


def test_the_module_runs_as_the_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "batch_pipeline_construct.runtime.operator", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0
    assert result.stdout.startswith("usage: batch-pipeline ")
    assert "reprocess" in result.stdout and "redrive" in result.stdout
