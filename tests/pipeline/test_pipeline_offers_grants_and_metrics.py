"""Seams: ``grant_*`` give a user's role what it needs; ``metric_*`` name the pipeline's own
resources, and the alarms use the same metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch, aws_iam
from aws_cdk.assertions import Template

from batch_pipeline_construct import BulkOptions, PerFileOptions, TriggerOptions
from tests.support.pipeline_builders import build_pipeline, only


def _role(stack: cdk.Stack) -> aws_iam.Role:
    return aws_iam.Role(stack, "Analyst", assumed_by=aws_iam.AccountRootPrincipal())


def _statements_of(stack: cdk.Stack, role: aws_iam.Role) -> list[dict[str, Any]]:
    role_id = stack.get_logical_id(role.node.default_child)  # type: ignore[arg-type]
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _ref(stack: cdk.Stack, resolvable: object) -> Any:
    return stack.resolve(resolvable)


def _logical_id(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child)


def test_grants_give_upload_read_and_submit_on_this_pipeline_only(dockerfile_dir: Path) -> None:
    stack, pipeline = build_pipeline(
        dockerfile_dir, trigger=TriggerOptions(prefix="incoming/"), output_prefix="results/"
    )
    role = _role(stack)

    grants = [
        pipeline.grant_upload(role),
        pipeline.grant_read_results(role),
        pipeline.grant_submit_jobs(role),
    ]

    assert all(isinstance(grant, aws_iam.Grant) and grant.success for grant in grants)
    statements = {
        tuple(sorted(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])): s
        for s in _statements_of(stack, role)
    }
    put = next(s for actions, s in statements.items() if "s3:PutObject" in actions)
    assert "incoming/*" in str(put["Resource"])
    assert _logical_id(stack, pipeline.input_bucket) in str(put["Resource"])
    read = next(s for actions, s in statements.items() if "s3:GetObject*" in actions)
    assert "results/*" in str(read["Resource"])
    assert _logical_id(stack, pipeline.output_bucket) in str(read["Resource"])
    assert "s3:PutObject" not in str(read["Action"])
    submit = next(s for actions, s in statements.items() if "batch:SubmitJob" in actions)
    assert _ref(stack, pipeline.job_queue.job_queue_arn) in submit["Resource"]


def _dimensions(stack: cdk.Stack, metric: Any) -> dict[str, Any]:
    return {name: stack.resolve(value) for name, value in (metric.dimensions or {}).items()}


def test_metrics_name_the_pipelines_own_queue_function_and_rules(dockerfile_dir: Path) -> None:
    stack, pipeline = build_pipeline(dockerfile_dir)
    queue = stack.resolve(pipeline.arrival_queue.queue_name)
    dead_letters = stack.resolve(pipeline.arrival_dead_letter_queue.queue_name)
    function = stack.resolve(pipeline.arrival_function.function_name)

    expected = {
        "metric_files_arrived": ("AWS/SQS", "NumberOfMessagesSent", queue, "Sum"),
        "metric_queue_depth": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum"),
        "metric_queue_age": ("AWS/SQS", "ApproximateAgeOfOldestMessage", queue, "Maximum"),
        "metric_dead_letters": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            dead_letters,
            "Maximum",
        ),
        "metric_arrival_errors": ("AWS/Lambda", "Errors", function, "Sum"),
        "metric_arrival_duration": ("AWS/Lambda", "Duration", function, "Average"),
    }
    for method, (namespace, name, resource, statistic) in expected.items():
        metric = getattr(pipeline, method)()
        assert (metric.namespace, metric.metric_name, metric.statistic) == (
            namespace,
            name,
            statistic,
        ), method
        assert resource in _dimensions(stack, metric).values(), method
        assert metric.period.to_minutes() == 5
    assert pipeline.metric_queue_depth(period=cdk.Duration.minutes(1)).period.to_minutes() == 1


def test_files_submitted_are_counted_from_the_arrival_functions_log_lines(
    dockerfile_dir: Path,
) -> None:
    untouched, _ = build_pipeline(dockerfile_dir)
    assert not Template.from_stack(untouched).find_resources("AWS::Logs::MetricFilter")
    stack, pipeline = build_pipeline(dockerfile_dir)

    metric = pipeline.metric_files_submitted()
    pipeline.metric_files_submitted()

    _, metric_filter = only(Template.from_stack(stack), "AWS::Logs::MetricFilter")
    properties = metric_filter["Properties"]
    assert properties["FilterPattern"] == '{ $.event = "submitted" }'
    [transformation] = properties["MetricTransformations"]
    assert (transformation["MetricNamespace"], transformation["MetricName"]) == (
        metric.namespace,
        metric.metric_name,
    )
    assert transformation["MetricValue"] == "1"
    assert "FunctionLogs" in str(properties["LogGroupName"])


@pytest.mark.parametrize("mode", [PerFileOptions(), BulkOptions()], ids=["per-file", "bulk"])
def test_succeeded_jobs_are_finished_jobs_less_failed_ones(
    dockerfile_dir: Path, mode: PerFileOptions | BulkOptions
) -> None:
    stack, pipeline = build_pipeline(dockerfile_dir, mode=mode)

    expression = pipeline.metric_succeeded_jobs()

    using = expression.using_metrics
    finished = [name for name in using if name.startswith("finished")]
    assert expression.expression == " + ".join(finished) + " - failed"
    rules = {
        json.dumps(stack.resolve(rule.rule_name)): rule.node.id
        for rule in pipeline.completion_rules
    }
    counted = sorted(
        rules[json.dumps(_dimensions(stack, using[name])["RuleName"])] for name in finished
    )
    # Per-file jobs and array children, every shape of each; never an array parent's rule.
    assert counted == sorted(
        rule_id for rule_id in rules.values() if rule_id.startswith(("File", "ArrayChild"))
    )
    assert len(counted) == (8 if isinstance(mode, BulkOptions) else 4)
    failed = using["failed"]
    assert isinstance(failed, aws_cloudwatch.Metric)
    assert failed.metric_name == pipeline.metric_failed_jobs().metric_name


def test_alarms_watch_the_metrics_the_pipeline_offers(dockerfile_dir: Path) -> None:
    stack, pipeline = build_pipeline(dockerfile_dir)
    alarms = {alarm.node.id: alarm for alarm in pipeline.alarms}
    template = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    by_id = {
        alarm_id: template[stack.get_logical_id(alarm.node.default_child)]["Properties"]  # type: ignore[arg-type]
        for alarm_id, alarm in alarms.items()
    }
    errors = pipeline.metric_arrival_errors()
    assert by_id["ArrivalErrorsAlarm"]["MetricName"] == errors.metric_name
    assert by_id["ArrivalErrorsAlarm"]["Dimensions"][0]["Value"] == stack.resolve(
        _dimensions(stack, errors)["FunctionName"]
    )
    dead = pipeline.metric_dead_letters()
    assert by_id["ArrivalAlarm"]["Dimensions"][0]["Value"] == _dimensions(stack, dead)["QueueName"]
