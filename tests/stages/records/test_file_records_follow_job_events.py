"""The per-file record's event side: a rule for this job queue's state changes feeds a queue and
the record function, which may update the file-records table (and query its indexes), write run
reports under ``_runs/``, publish to the completion topic and nothing else; all of it free while idle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Match, Template

from batch_pipeline_construct import (
    ArrivalOptions,
    BulkOptions,
    PipelineConfigurationError,
    RecordOptions,
)
from batch_pipeline_construct.runtime.records import config, schema
from batch_pipeline_construct.runtime.settings import ARRIVAL_HANDLER
from tests.support.pipeline_builders import build_pipeline, only, resources, template_of

RECORDS_HANDLER = "runtime.records.handler.handler"


def record_function(template: Template) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, function)
        for logical_id, function in resources(template, "AWS::Lambda::Function").items()
        if function["Properties"].get("Handler") == RECORDS_HANDLER
    ]
    return found


def arrival_environment(template: Template) -> dict[str, Any]:
    (function,) = [
        function
        for function in resources(template, "AWS::Lambda::Function").values()
        if function["Properties"].get("Handler") == ARRIVAL_HANDLER
    ]
    environment: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return environment


def record_statements(template: Template) -> list[dict[str, Any]]:
    role = record_function(template)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_every_job_state_change_of_this_queue_reaches_the_record_queue(
    default_template: Template,
) -> None:
    rules = resources(default_template, "AWS::Events::Rule")
    (rule,) = [r for r in rules.values() if "RUNNING" in str(r["Properties"]["EventPattern"])]
    queue_id = next(iter(default_template.find_resources("AWS::Batch::JobQueue")))
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.batch"],
        "detail-type": ["Batch Job State Change"],
        "detail": {
            "jobQueue": [{"Fn::GetAtt": [queue_id, "JobQueueArn"]}],
            "status": ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"],
        },
    }
    (target,) = rule["Properties"]["Targets"]
    mappings = resources(default_template, "AWS::Lambda::EventSourceMapping")
    function_id = record_function(default_template)[0]
    (records_mapping,) = [
        m for m in mappings.values() if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert records_mapping["Properties"]["EventSourceArn"] == target["Arn"]
    assert records_mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    completion_dead_letters = [
        logical_id
        for logical_id in resources(default_template, "AWS::SQS::Queue")
        if logical_id.startswith("PipelineCompletionDeadLetterQueue")
    ]
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [completion_dead_letters[0], "Arn"]}
    (record_queue,) = [
        queue
        for queue in resources(default_template, "AWS::SQS::Queue").values()
        if {"Fn::GetAtt": [completion_dead_letters[0], "Arn"]}
        == queue["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
    ]
    assert record_queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5


def test_the_record_table_is_the_arrival_table_with_run_and_job_indexes(
    default_template: Template,
) -> None:
    _, table = only(default_template, "AWS::DynamoDB::GlobalTable")
    indexes = {
        index["IndexName"]: (index["KeySchema"], index["Projection"]["ProjectionType"])
        for index in table["Properties"]["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        schema.RUN_INDEX: ([{"AttributeName": schema.RUN_ID, "KeyType": "HASH"}], "ALL"),
        schema.JOB_INDEX: ([{"AttributeName": schema.JOB_ID, "KeyType": "HASH"}], "KEYS_ONLY"),
    }
    table_id = next(iter(default_template.find_resources("AWS::DynamoDB::GlobalTable")))
    environment = record_function(default_template)[1]["Properties"]["Environment"]["Variables"]
    arrival = arrival_environment(default_template)
    (shared_name,) = [name for name, value in arrival.items() if value == {"Ref": table_id}]
    assert environment[shared_name] == {"Ref": table_id}
    # Defaults are left out of the environment: the function reads 90 days and 5 minutes.
    assert config.RECORD_RETENTION_SECONDS not in environment
    assert config.RUN_QUIET_SECONDS not in environment
    assert (
        config.RecordSettings.from_environ({name: "x" for name in environment}).retention_seconds
        == 90 * 24 * 3600
    )


def test_the_record_function_may_do_what_it_does_and_nothing_else(
    default_template: Template,
) -> None:
    statements = record_statements(default_template)
    granted = sorted(a for s in statements for a in actions(s))

    assert granted == sorted(
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "sqs:ReceiveMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueUrl",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "s3:PutObject",
            "s3:AbortMultipartUpload",
            "sns:Publish",
            "sqs:SendMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        ]
    )
    by_action = {a: s for s in statements for a in actions(s)}
    assert "/_runs/*" in str(by_action["s3:PutObject"]["Resource"])
    assert "Output" in str(by_action["s3:PutObject"]["Resource"])
    assert "Topic" in str(by_action["sns:Publish"]["Resource"])
    assert all("*" not in a for a in granted)


def test_in_bulk_mode_the_record_function_reads_only_the_childrens_outcomes(
    dockerfile_dir: Path,
) -> None:
    template = template_of(dockerfile_dir, mode=BulkOptions(manifest_prefix="batches/"))

    reads = [s for s in record_statements(template) if "s3:GetObject" in actions(s)]

    assert len(reads) == 1
    assert all(a.startswith("s3:GetObject") for a in actions(reads[0]))
    assert "/batches/*/outcomes/*" in str(reads[0]["Resource"])
    assert "Output" in str(reads[0]["Resource"])


def test_record_keeping_costs_nothing_while_idle(default_template: Template) -> None:
    template = default_template.to_json()["Resources"]
    for resource in template.values():
        properties = resource.get("Properties", {})
        assert "ScheduleExpression" not in properties, "a schedule runs while idle"
        assert "ProvisionedConcurrencyConfig" not in properties
    (table,) = default_template.find_resources("AWS::DynamoDB::GlobalTable").values()
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    default_template.resource_count_is("AWS::EC2::NatGateway", 0)
    default_template.resource_count_is("AWS::Lambda::Version", 0)
    default_template.has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {"TimeToLiveSpecification": {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True}},
    )


def test_record_options_set_retention_and_the_quiet_gap(dockerfile_dir: Path) -> None:
    template = template_of(
        dockerfile_dir,
        records=RecordOptions(retention=Duration.days(365), run_quiet_period=Duration.minutes(30)),
    )

    environment = record_function(template)[1]["Properties"]["Environment"]["Variables"]
    assert environment[config.RECORD_RETENTION_SECONDS] == str(365 * 24 * 3600)
    assert environment[config.RUN_QUIET_SECONDS] == "1800"
    # One retention for the table: the arrival function's claims expire with the records.
    assert arrival_environment(template)[config.RECORD_RETENTION_SECONDS] == str(365 * 24 * 3600)


@pytest.mark.parametrize(
    ("records", "prop"),
    [
        (RecordOptions(retention=Duration.minutes(30)), "records.retention"),
        (RecordOptions(run_quiet_period=Duration.seconds(10)), "records.run_quiet_period"),
        (RecordOptions(run_quiet_period=Duration.days(2)), "records.run_quiet_period"),
    ],
)
def test_bad_record_options_fail_at_synth(
    dockerfile_dir: Path, records: RecordOptions, prop: str
) -> None:
    with pytest.raises(PipelineConfigurationError, match=prop):
        build_pipeline(dockerfile_dir, records=records)


def test_without_a_record_table_there_is_no_record_function(dockerfile_dir: Path) -> None:
    _, pipeline = build_pipeline(dockerfile_dir, arrival=ArrivalOptions(file_records=False))

    assert pipeline.record_function is None


def test_the_pipeline_exposes_its_record_function(dockerfile_dir: Path) -> None:
    stack, pipeline = build_pipeline(dockerfile_dir)

    assert pipeline.record_function is not None
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": RECORDS_HANDLER, "Timeout": Match.any_value()},
    )
