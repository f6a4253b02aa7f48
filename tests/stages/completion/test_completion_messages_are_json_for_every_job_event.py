"""Every finished job's event becomes exactly one completion message: JSON with the documented schema.

The completion rules of a synthesized pipeline are run, with EventBridge's documented pattern and
input-transformer semantics (``eventbridge_semantics``), on AWS's sample ``Batch Job State
Change`` event set to every shape the pipeline's jobs produce (``batch_job_events``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from batch_pipeline_construct import BulkOptions
from tests.stages.completion.batch_job_events import (
    FINISHED_EVENTS,
    NOT_PUBLISHED_EVENTS,
    QUEUE_ARN,
)
from tests.stages.completion.eventbridge_semantics import matches, resolve_path, transform
from tests.support.pipeline_builders import only, resources, template_of

# The README's "Completion messages" schema: field -> the JSON types it may hold.
_SCHEMA: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "jobType": (str,),
    "status": (str,),
    "statusReason": (str, type(None)),
    "exitCode": (int, type(None)),
    "jobId": (str,),
    "jobName": (str,),
    "jobQueue": (str,),
    "inputUri": (str, type(None)),
    "outputUri": (str, type(None)),
    "manifestUri": (str, type(None)),
    "arrayIndex": (int, type(None)),
    "arraySize": (int, type(None)),
    "time": (str,),
}
_NAMED_BY_JOB_TYPE = {
    "file": {"inputUri", "outputUri"},
    "array": {"manifestUri", "arraySize"},
    "array-child": {"manifestUri", "arrayIndex"},
}


def _with_queue_arn(value: Any, queue_id: str) -> Any:
    """The pattern with the queue's ``Fn::GetAtt`` replaced by the ARN the events carry."""
    if value == {"Fn::GetAtt": [queue_id, "JobQueueArn"]}:
        return QUEUE_ARN
    if isinstance(value, dict):
        return {k: _with_queue_arn(v, queue_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_queue_arn(v, queue_id) for v in value]
    return value


def _topic_rules(template: Template) -> list[dict[str, Any]]:
    """The completion rules, as (pattern, target) pairs, with the queue ARN the events carry."""
    queue_id, _ = only(template, "AWS::Batch::JobQueue")
    topic_id, _ = only(template, "AWS::SNS::Topic")
    rules = []
    for rule in resources(template, "AWS::Events::Rule").values():
        (target,) = rule["Properties"]["Targets"]
        if target["Arn"] == {"Ref": topic_id}:
            rules.append(
                {
                    "pattern": _with_queue_arn(rule["Properties"]["EventPattern"], queue_id),
                    "transformer": target["InputTransformer"],
                }
            )
    return rules


def _published(template: Template, event: dict[str, Any]) -> list[str]:
    """What the topic receives for ``event``: one text per matching rule."""
    return [
        transform(rule["transformer"]["InputPathsMap"], rule["transformer"]["InputTemplate"], event)
        for rule in _topic_rules(template)
        if matches(rule["pattern"], event)
    ]


@pytest.fixture(scope="module")
def bulk_template(dockerfile_dir: Path) -> Template:
    """A bulk-mode pipeline: its jobs produce array parents and children too."""
    return template_of(dockerfile_dir, mode=BulkOptions())


@pytest.mark.parametrize("name", sorted(FINISHED_EVENTS))
def test_each_finished_job_is_published_once_as_a_schema_valid_json_object(
    bulk_template: Template, name: str
) -> None:
    event = FINISHED_EVENTS[name]
    published = _published(bulk_template, event)
    assert len(published) == 1, f"{name}: matched {len(published)} rules"
    message = json.loads(published[0])
    assert list(message) == list(_SCHEMA)
    for field, types in _SCHEMA.items():
        assert isinstance(message[field], types), (field, message[field])
    assert message["kind"] == "job"
    assert message["status"] == event["detail"]["status"]
    assert message["jobId"] == event["detail"]["jobId"]
    assert message["jobQueue"] == QUEUE_ARN
    assert message["time"] == event["time"]
    assert message["statusReason"] == event["detail"].get("statusReason")
    if message["jobType"] != "array":
        assert message["exitCode"] == event["detail"]["container"].get("exitCode")
    named = _NAMED_BY_JOB_TYPE[message["jobType"]]
    for field in ("inputUri", "outputUri", "manifestUri"):
        expected = event["detail"]["parameters"][field] if field in named else None
        assert message[field] == expected, field
    index = resolve_path(event, "$.detail.arrayProperties.index")
    size = resolve_path(event, "$.detail.arrayProperties.size")
    assert message["arrayIndex"] == (index if "arrayIndex" in named else None)
    assert message["arraySize"] == (size if "arraySize" in named else None)


def test_the_job_types_are_what_each_event_is(bulk_template: Template) -> None:
    job_types = {
        name: json.loads(_published(bulk_template, event)[0])["jobType"]
        for name, event in FINISHED_EVENTS.items()
    }
    assert {name for name, job_type in job_types.items() if job_type == "array"} == {
        "array-parent-succeeded",
        "array-parent-failed",
    }
    assert {name for name, job_type in job_types.items() if job_type == "array-child"} == {
        name for name in FINISHED_EVENTS if name.startswith("array-child")
    }


@pytest.mark.parametrize("name", [n for n in sorted(FINISHED_EVENTS) if n.startswith("file")])
def test_a_per_file_pipeline_publishes_each_file_job_once(
    default_template: Template, name: str
) -> None:
    (published,) = _published(default_template, FINISHED_EVENTS[name])
    assert json.loads(published)["jobType"] == "file"


@pytest.mark.parametrize("name", sorted(NOT_PUBLISHED_EVENTS))
def test_unfinished_jobs_and_other_queues_are_not_published(
    default_template: Template, name: str
) -> None:
    assert _published(default_template, NOT_PUBLISHED_EVENTS[name]) == []


def test_the_semantics_catch_a_template_naming_a_path_the_event_lacks() -> None:
    """The check has teeth: one template for every shape, as before, breaks the JSON."""
    template = '{"status":<status>,"exitCode":<exitCode>,"manifestUri":<manifestUri>}'
    paths = {
        "status": "$.detail.status",
        "exitCode": "$.detail.container.exitCode",
        "manifestUri": "$.detail.parameters.manifestUri",
    }
    with pytest.raises(json.JSONDecodeError):
        json.loads(transform(paths, template, FINISHED_EVENTS["file-failed-before-starting"]))
