"""A synthesized pipeline's completion rules as deployed, run on events with EventBridge's semantics.

CloudFormation's part (the queue's ARN, the log group's name, ``Fn::Join``) is resolved to the
values the events and a deployed stack have; EventBridge's part is ``eventbridge_semantics``.
"""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template

from tests.stages.completion.batch_job_events import QUEUE_ARN
from tests.stages.completion.eventbridge_semantics import matches, transform
from tests.support.pipeline_builders import only, resources

LOG_GROUP = "lab-Pipeline-JobLogs-x1y2z3"
"""The name CloudFormation gives the job log group when the stack is deployed."""


def deployed(value: Any, template: Template) -> Any:
    """``value`` as CloudFormation resolves it: the job queue's ARN, the log group's name, joins."""
    queue_id, _ = only(template, "AWS::Batch::JobQueue")
    (log_group_id,) = [i for i in resources(template, "AWS::Logs::LogGroup") if "JobLogs" in i]
    if value == {"Fn::GetAtt": [queue_id, "JobQueueArn"]}:
        return QUEUE_ARN
    if value == {"Ref": log_group_id}:
        return LOG_GROUP
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(deployed(part, template) for part in parts)
    if isinstance(value, dict):
        return {k: deployed(v, template) for k, v in value.items()}
    if isinstance(value, list):
        return [deployed(v, template) for v in value]
    return value


def topic_rules(template: Template) -> list[dict[str, Any]]:
    """The completion rules, as (pattern, target) pairs, as deployed."""
    topic_id, _ = only(template, "AWS::SNS::Topic")
    rules = []
    for rule in resources(template, "AWS::Events::Rule").values():
        (target,) = rule["Properties"]["Targets"]
        if target["Arn"] == {"Ref": topic_id}:
            rules.append(
                {
                    "pattern": deployed(rule["Properties"]["EventPattern"], template),
                    "transformer": deployed(target["InputTransformer"], template),
                }
            )
    return rules


def messages_for(template: Template, event: dict[str, Any]) -> list[str]:
    """What the topic receives for ``event``: one text per matching rule."""
    return [
        transform(rule["transformer"]["InputPathsMap"], rule["transformer"]["InputTemplate"], event)
        for rule in topic_rules(template)
        if matches(rule["pattern"], event)
    ]
