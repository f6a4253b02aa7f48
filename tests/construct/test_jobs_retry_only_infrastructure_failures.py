"""The job definition: resources, timeout, logs, and retries of infrastructure failures only."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, Size
from aws_cdk.assertions import Template
from pipeline_builders import only, template_of

from batch_pipeline_construct import JobOptions


def test_retries_end_with_an_explicit_catch_all_exit(default_template: Template) -> None:
    _, definition = only(default_template, "AWS::Batch::JobDefinition")
    strategy = definition["Properties"]["RetryStrategy"]
    assert strategy["Attempts"] == 3
    rules = strategy["EvaluateOnExit"]
    assert rules[-1] == {"Action": "EXIT", "OnReason": "*"}
    assert all(rule["Action"] == "RETRY" for rule in rules[:-1])
    assert {"Action": "RETRY", "OnStatusReason": "Host EC2*"} in rules
    assert not any("OnExitCode" in rule for rule in rules[:-1]), (
        "an application exit must not be retried"
    )
    assert len(rules) <= 5


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
