"""``batch-pipeline local`` renders each completion message as the deployed rules would.

The local renderer (``runtime.local.completion``) is run on a synthesized bulk-mode pipeline's
rules for every shape of finished Batch event, and its messages compared with what the same rules
give under EventBridge's documented semantics (``tests.stages.completion.deployed_rules``): a job
that never started a container gets an empty ``logStreamName``, as on AWS, not ``"null"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from batch_pipeline_construct import BulkOptions
from batch_pipeline_construct.runtime.local.completion import completion_rules
from tests.stages.completion.batch_job_events import FINISHED_EVENTS
from tests.stages.completion.deployed_rules import deployed, messages_for
from tests.support.pipeline_builders import only, template_of

_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:completion"


@pytest.fixture(scope="module")
def bulk_template(dockerfile_dir: Path) -> Template:
    """A bulk-mode pipeline: its rules cover per-file jobs, array children and array parents."""
    return template_of(dockerfile_dir, mode=BulkOptions())


def _local_messages(template: Template, event: dict[str, Any]) -> list[Any]:
    topic_id, _ = only(template, "AWS::SNS::Topic")

    def resolve(value: Any) -> Any:
        """As deployed; the topic is its ARN, other resources' references a name of their own."""
        if value == {"Ref": topic_id}:
            return _TOPIC_ARN
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict) and set(value) & {"Ref", "Fn::GetAtt", "Fn::Join"}:
            resolved = deployed(value, template)
            return json.dumps(resolved) if isinstance(resolved, dict) else resolved
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    resources = template.to_json()["Resources"]
    return [m for rule in completion_rules(resources, resolve) for m in rule.messages(event)]


@pytest.mark.parametrize("name", sorted(FINISHED_EVENTS))
def test_local_messages_are_the_deployed_rules_messages(bulk_template: Template, name: str) -> None:
    event = FINISHED_EVENTS[name]

    local = _local_messages(bulk_template, event)

    assert local == [json.loads(message) for message in messages_for(bulk_template, event)]


def test_a_job_that_never_started_has_an_empty_log_stream_locally(
    bulk_template: Template,
) -> None:
    (message,) = _local_messages(bulk_template, FINISHED_EVENTS["file-cancelled-while-runnable"])

    assert message["logStreamName"] == ""
