"""The commands find a pipeline the way a user knows it (stack and construct path) or by its
arrival function's name, and refuse anything else with one clear line."""

from __future__ import annotations

import pytest

from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.operator.errors import EXIT_UNUSABLE
from tests.runtime.operator.deployed import STACK, deploy_function, deploy_stack, function_resource
from tests.runtime.runtime_pipeline import Pipeline


def _stack_with_pipelines(pipeline: Pipeline, *paths: str) -> None:
    resources = {
        f"Fn{index}": function_resource(f"{path}/Arrival/Function/Resource", dict(pipeline.environ))
        for index, path in enumerate(paths)
    }
    resources["Notifications"] = function_resource(
        f"{STACK}/BucketNotificationsHandler/Resource", {}
    )
    deploy_stack(STACK, resources)


def _redrive(*target: str) -> list[str]:
    return ["redrive", "--time-limit", "5", "--json", *target]


def test_a_stack_with_one_pipeline_needs_no_construct_path(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    _stack_with_pipelines(pipeline, f"{STACK}/Pipeline")

    assert main(_redrive("--stack", STACK)) == 0
    assert '"moved": 0' in capsys.readouterr().out


@pytest.mark.parametrize("path", ["Lab/Images", "Images", "/Lab/Images/"])
def test_the_construct_path_chooses_among_pipelines(
    pipeline: Pipeline, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _stack_with_pipelines(pipeline, f"{STACK}/Tables", f"{STACK}/Images")

    assert main(_redrive("--stack", STACK, "--pipeline", path)) == 0
    assert '"moved": 0' in capsys.readouterr().out


def test_several_pipelines_without_a_construct_path_are_listed(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    _stack_with_pipelines(pipeline, f"{STACK}/Tables", f"{STACK}/Images")

    assert main(_redrive("--stack", STACK)) == EXIT_UNUSABLE
    assert capsys.readouterr().err == (
        "batch-pipeline: error: stack 'Lab' holds 2 pipelines; choose one with --pipeline:"
        " Lab/Tables, Lab/Images\n"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--stack", "Nope"],
            "no CloudFormation stack 'Nope' in us-east-1 (deployed to another Region? pass --region)",
        ),
        (
            ["--stack", STACK, "--pipeline", "Lab/Ima"],
            "no pipeline at 'Lab/Ima' in stack 'Lab'; it holds: Lab/Images",
        ),
        (
            ["--pipeline", "Lab/Images"],
            "--pipeline needs --stack: the stack that holds the pipeline",
        ),
        (
            ["--stack", STACK, "--function", "f"],
            "name the pipeline with --stack (and --pipeline) or --function, not both",
        ),
        (
            ["--stack", STACK, "--region", "eu-west-1"],
            "no CloudFormation stack 'Lab' in eu-west-1 (deployed to another Region? pass --region)",
        ),
        ([], "name the pipeline: --stack NAME [--pipeline CONSTRUCT_PATH], or --function NAME"),
        (
            ["--function", "nope"],
            "no Lambda function 'nope' in us-east-1 (deployed to another Region? pass --region)",
        ),
        (
            ["--function", "plain"],
            "function 'plain' is not a pipeline's arrival function"
            " (its environment has no BPC_JOB_QUEUE_ARN)",
        ),
    ],
)
def test_a_pipeline_that_cannot_be_found_is_one_clear_line(
    pipeline: Pipeline,
    arguments: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stack_with_pipelines(pipeline, f"{STACK}/Images")
    deploy_function("plain", {"LOG_LEVEL": "INFO"})

    assert main(_redrive(*arguments)) == EXIT_UNUSABLE
    captured = capsys.readouterr()
    assert captured.err == f"batch-pipeline: error: {message}\n"
    assert captured.out == ""


def test_a_stack_without_a_pipeline_is_refused(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_stack("Empty", {"Fn": function_resource("Empty/Handler/Resource", {})})

    assert main(_redrive("--stack", "Empty")) == EXIT_UNUSABLE
    assert capsys.readouterr().err == (
        "batch-pipeline: error: stack 'Empty' holds no batch-pipeline pipeline\n"
    )
