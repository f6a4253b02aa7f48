"""The job definition: resources, timeout, logs, and retries of infrastructure failures only."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import Duration, Size
from aws_cdk.assertions import Template

from batch_pipeline_construct import ComputeOptions, ComputeType, JobOptions
from batch_pipeline_construct._stages.compute import MAX_RETRY_RULES
from batch_pipeline_construct.runtime.job.exit_codes import FINAL_EXIT_CODES, RETRYABLE_EXIT_CODES
from tests.support.pipeline_builders import only, template_of


def _batch_decision(rules: list[dict[str, str]], attempt: dict[str, str]) -> str:
    """What AWS Batch does with a failed attempt, as its retry guide documents it.

    The first rule whose every condition matches decides; a condition is a glob that may end in
    ``*`` and never matches a field the attempt lacks; when no rule matches, the job is retried.
    """
    fields = {"OnExitCode": "exitCode", "OnReason": "reason", "OnStatusReason": "statusReason"}
    for rule in rules:
        conditions = {fields[k]: v for k, v in rule.items() if k != "Action"}
        if all(_glob_matches(pattern, attempt.get(name)) for name, pattern in conditions.items()):
            return rule["Action"]
    return "RETRY"


def _glob_matches(pattern: str, value: str | None) -> bool:
    if value is None:
        return False
    if pattern.endswith("*"):
        return value.lower().startswith(pattern[:-1].lower())
    return value.lower() == pattern.lower()


def _rules(template: Template) -> list[dict[str, str]]:
    _, definition = only(template, "AWS::Batch::JobDefinition")
    rules: list[dict[str, str]] = definition["Properties"]["RetryStrategy"]["EvaluateOnExit"]
    return rules


_APPLICATION_FAILURES = [
    {"exitCode": "1"},
    {"exitCode": "137", "reason": "OutOfMemoryError: Container killed due to memory usage"},
    {"exitCode": "2", "statusReason": "Essential container in task exited"},
]
_IMAGE_PULL = {"reason": "CannotPullContainerError: pull rate limit"}


def test_retries_end_with_explicit_exits_on_any_reason_and_any_exit_code(
    default_template: Template,
) -> None:
    _, definition = only(default_template, "AWS::Batch::JobDefinition")
    assert definition["Properties"]["RetryStrategy"]["Attempts"] == 3
    rules = _rules(default_template)
    assert rules[-2:] == [
        {"Action": "EXIT", "OnReason": "*"},
        {"Action": "EXIT", "OnExitCode": "*"},
    ]
    assert all(rule["Action"] == "RETRY" for rule in rules[:-2])
    assert len(rules) <= 5


@pytest.mark.parametrize(
    "compute",
    [
        ComputeOptions(),
        ComputeOptions(spot=True),
        ComputeOptions(type=ComputeType.EC2),
        ComputeOptions(type=ComputeType.EC2, spot=True),
    ],
    ids=["fargate", "fargate-spot", "ec2", "ec2-spot"],
)
def test_an_application_failure_is_never_retried(
    dockerfile_dir: Path, compute: ComputeOptions
) -> None:
    rules = _rules(template_of(dockerfile_dir, compute=compute))
    assert len(rules) <= 5
    for attempt in _APPLICATION_FAILURES:
        assert _batch_decision(rules, attempt) == "EXIT", attempt
    assert _batch_decision(rules, _IMAGE_PULL) == "RETRY"


def test_a_fargate_spot_reclaim_is_retried_on_fargate_spot(dockerfile_dir: Path) -> None:
    rules = _rules(template_of(dockerfile_dir, compute=ComputeOptions(spot=True)))
    reclaim = {"statusReason": "Your Spot Task was interrupted."}
    assert _batch_decision(rules, reclaim) == "RETRY"
    start_error = {"statusReason": "ResourceInitializationError: unable to pull secrets"}
    assert _batch_decision(rules, start_error) == "RETRY"
    assert not any(rule.get("OnStatusReason") == "Host EC2*" for rule in rules), (
        "an EC2-only rule has no place on a Fargate job definition"
    )


def test_an_ec2_spot_reclaim_is_retried_on_ec2(dockerfile_dir: Path) -> None:
    compute = ComputeOptions(type=ComputeType.EC2, spot=True)
    rules = _rules(template_of(dockerfile_dir, compute=compute))
    reclaim = {"statusReason": "Host EC2 (instance i-0abc) terminated."}
    assert _batch_decision(rules, reclaim) == "RETRY"
    assert not any("Spot Task" in rule.get("OnStatusReason", "") for rule in rules)


def test_job_options_reach_the_job_definition(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir,
        job=JobOptions(
            vcpus=2,
            memory=Size.gibibytes(8),
            command=["python", "run.py", "--fast"],
            environment={"MODEL": "small"},
            timeout=Duration.minutes(30),
            retry_attempts=5,
        ),
    )
    _, definition = only(template, "AWS::Batch::JobDefinition")
    properties = definition["Properties"]
    container = properties["ContainerProperties"]
    assert {"Type": "VCPU", "Value": "2"} in container["ResourceRequirements"]
    assert {"Type": "MEMORY", "Value": "8192"} in container["ResourceRequirements"]
    assert container["Command"] == ["python", "run.py", "--fast"]
    assert container["Environment"] == [{"Name": "MODEL", "Value": "small"}]
    assert properties["Timeout"] == {"AttemptDurationSeconds": 1800}
    assert properties["RetryStrategy"]["Attempts"] == 5


def test_job_logs_go_to_a_log_group_with_retention(default_template: Template) -> None:
    _, definition = only(default_template, "AWS::Batch::JobDefinition")
    log_options = definition["Properties"]["ContainerProperties"]["LogConfiguration"]["Options"]
    log_group_id = log_options["awslogs-group"]["Ref"]
    log_group = default_template.to_json()["Resources"][log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == 90
    for group in default_template.find_resources("AWS::Logs::LogGroup").values():
        assert "RetentionInDays" in group["Properties"]


def test_job_has_a_role_of_its_own(default_template: Template) -> None:
    _, definition = only(default_template, "AWS::Batch::JobDefinition")
    container = definition["Properties"]["ContainerProperties"]
    assert "JobRoleArn" in container
    assert container["JobRoleArn"] != container["ExecutionRoleArn"]


@pytest.mark.parametrize(
    ("compute", "retried"),
    [
        (ComputeOptions(), True),
        (ComputeOptions(type=ComputeType.EC2), True),
        (ComputeOptions(type=ComputeType.EC2, spot=True), True),
        (ComputeOptions(spot=True), False),
    ],
    ids=["fargate", "ec2", "ec2-spot", "fargate-spot"],
)
def test_the_resolvers_try_again_exit_is_retried_where_batch_leaves_room(
    dockerfile_dir: Path, compute: ComputeOptions, retried: bool
) -> None:
    rules = _rules(template_of(dockerfile_dir, compute=compute))
    assert len(rules) <= MAX_RETRY_RULES
    for code in RETRYABLE_EXIT_CODES:
        expected = "RETRY" if retried else "EXIT"
        assert _batch_decision(rules, {"exitCode": str(code)}) == expected
    for code in FINAL_EXIT_CODES:
        assert _batch_decision(rules, {"exitCode": str(code)}) == "EXIT", code
