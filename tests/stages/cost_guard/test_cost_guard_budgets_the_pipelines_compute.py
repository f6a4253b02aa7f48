"""The cost guard in the template: off by default; when on, a monthly budget of the pipeline's
tagged costs alerts on its forecast, and its alert reaches a function that may stop exactly this
pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from batch_pipeline_construct import (
    ComputeOptions,
    ComputeType,
    CostGuardOptions,
    PipelineConfigurationError,
)
from batch_pipeline_construct.runtime.guard.settings import (
    COMPLETION_TOPIC_ARN,
    COST_ALLOCATION_TAG,
    EVENT_SOURCE_MAPPING_ID,
)
from tests.support.pipeline_builders import build_pipeline, only, resources, template_of

GUARD = CostGuardOptions(monthly_budget_usd=250, forecast_threshold_percent=80)


def test_no_budget_by_default(default_template: Template) -> None:
    assert not resources(default_template, "AWS::Budgets::Budget")
    assert COST_ALLOCATION_TAG not in json.dumps(default_template.to_json())


def test_the_budget_counts_this_pipelines_tag_and_alerts_on_its_forecast(
    dockerfile_dir: Path,
) -> None:
    stack, pipeline = build_pipeline(dockerfile_dir, cost_guard=GUARD)
    template = Template.from_stack(stack)
    tag = _tag_of(template)

    _, budget = only(template, "AWS::Budgets::Budget")
    data = budget["Properties"]["Budget"]
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["BudgetLimit"] == {"Amount": 250, "Unit": "USD"}
    assert data["CostFilters"] == {"TagKeyValue": [f"user:{COST_ALLOCATION_TAG}${tag}"]}
    [alert] = budget["Properties"]["NotificationsWithSubscribers"]
    assert alert["Notification"] == {
        "NotificationType": "FORECASTED",
        "ComparisonOperator": "GREATER_THAN",
        "Threshold": 80,
        "ThresholdType": "PERCENTAGE",
    }
    [subscriber] = alert["Subscribers"]
    assert subscriber["SubscriptionType"] == "SNS"
    assert pipeline.budget_alerts is not None
    alerts_topic = stack.resolve(pipeline.budget_alerts.topic_arn)
    assert subscriber["Address"] == alerts_topic
    # Budgets may publish to the alerts topic, from this account only.
    policies = json.dumps(resources(template, "AWS::SNS::TopicPolicy"))
    assert "budgets.amazonaws.com" in policies and "aws:SourceAccount" in policies


def test_the_pipelines_compute_carries_the_tag(dockerfile_dir: Path) -> None:
    stack, pipeline = build_pipeline(
        dockerfile_dir, cost_guard=GUARD, compute=ComputeOptions(type=ComputeType.EC2)
    )
    template = Template.from_stack(stack)
    tag = _tag_of(template)

    _, definition = only(template, "AWS::Batch::JobDefinition")
    assert definition["Properties"]["PropagateTags"] is True
    assert definition["Properties"]["Tags"][COST_ALLOCATION_TAG] == tag
    _, environment = only(template, "AWS::Batch::ComputeEnvironment")
    assert environment["Properties"]["ComputeResources"]["Tags"] == {COST_ALLOCATION_TAG: tag}
    assert environment["Properties"]["Tags"][COST_ALLOCATION_TAG] == tag


def _tag_of(template: Template) -> str:
    """The tag value the budget counts: the pipeline's unique ID."""
    _, budget = only(template, "AWS::Budgets::Budget")
    [filter_value] = budget["Properties"]["Budget"]["CostFilters"]["TagKeyValue"]
    key, _, value = filter_value.removeprefix("user:").partition("$")
    assert key == COST_ALLOCATION_TAG and value.startswith("Stack")
    return value


def _guard_function(template: Template) -> tuple[str, dict[str, Any]]:
    return next(
        (logical_id, function)
        for logical_id, function in resources(template, "AWS::Lambda::Function").items()
        if function["Properties"].get("Handler") == "runtime.guard.handler.handler"
    )


def test_the_alert_reaches_a_function_that_may_stop_only_this_pipeline(
    dockerfile_dir: Path,
) -> None:
    stack, pipeline = build_pipeline(dockerfile_dir, cost_guard=GUARD)
    template = Template.from_stack(stack)
    assert pipeline.budget_alerts is not None and pipeline.cost_guard_function is not None
    function_id, function = _guard_function(template)

    variables = function["Properties"]["Environment"]["Variables"]
    (mapping_id,) = [
        logical_id
        for logical_id in resources(template, "AWS::Lambda::EventSourceMapping")
        if "ArrivalFunction" in logical_id
    ]
    assert variables[EVENT_SOURCE_MAPPING_ID] == {"Ref": mapping_id}
    assert variables[COMPLETION_TOPIC_ARN] == stack.resolve(pipeline.completion_topic.topic_arn)
    subscriptions = resources(template, "AWS::SNS::Subscription").values()
    assert any(
        s["Properties"]["Protocol"] == "lambda"
        and s["Properties"]["TopicArn"] == stack.resolve(pipeline.budget_alerts.topic_arn)
        and s["Properties"]["Endpoint"] == {"Fn::GetAtt": [function_id, "Arn"]}
        for s in subscriptions
    )
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in statements}
    assert by_action['"batch:UpdateJobQueue"'] == stack.resolve(pipeline.job_queue.job_queue_arn)
    mapping_arn = json.dumps(by_action['"lambda:UpdateEventSourceMapping"'])
    assert "event-source-mapping:" in mapping_arn and mapping_id in mapping_arn
    assert by_action['"sns:Publish"'] == stack.resolve(pipeline.completion_topic.topic_arn)


@pytest.mark.parametrize(
    ("guard", "prop"),
    [
        (CostGuardOptions(monthly_budget_usd=0), "cost_guard.monthly_budget_usd"),
        (
            CostGuardOptions(monthly_budget_usd=10, forecast_threshold_percent=0),
            "cost_guard.forecast_threshold_percent",
        ),
    ],
)
def test_a_budget_aws_would_reject_fails_at_synth(
    dockerfile_dir: Path, guard: CostGuardOptions, prop: str
) -> None:
    with pytest.raises(PipelineConfigurationError) as raised:
        template_of(dockerfile_dir, cost_guard=guard)
    assert raised.value.prop == prop
