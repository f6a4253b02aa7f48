"""Every finished job's event becomes exactly one completion message: JSON with the documented schema.

A failed job's message says where its log is (the job log group and the event's log stream), and a
job that never started a container (cancelled while RUNNABLE, image pull failed) is still
published, with an empty log stream.

The completion rules of a synthesized pipeline are run, with EventBridge's documented pattern and
input-transformer semantics (``eventbridge_semantics``), on AWS's sample ``Batch Job State
Change`` event set to every shape the pipeline's jobs produce (``batch_job_events``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from batch_pipeline_construct import BulkOptions
from tests.stages.completion.batch_job_events import (
    FINISHED_EVENTS,
    LOG_STREAM,
    NOT_PUBLISHED_EVENTS,
    QUEUE_ARN,
)
from tests.stages.completion.deployed_rules import LOG_GROUP, messages_for
from tests.stages.completion.eventbridge_semantics import resolve_path, transform
from tests.support.pipeline_builders import template_of

# The README's "Completion messages" schema: field -> the JSON types it may hold.
_SCHEMA: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "jobType": (str,),
    "status": (str,),
    "statusReason": (str, type(None)),
    "exitCode": (int, type(None)),
    "logGroup": (str,),
    "logStreamName": (str,),
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


@pytest.fixture(scope="module")
def bulk_template(dockerfile_dir: Path) -> Template:
    """A bulk-mode pipeline: its jobs produce array parents and children too."""
    return template_of(dockerfile_dir, mode=BulkOptions())


@pytest.mark.parametrize("name", sorted(FINISHED_EVENTS))
def test_each_finished_job_is_published_once_as_a_schema_valid_json_object(
    bulk_template: Template, name: str
) -> None:
    event = FINISHED_EVENTS[name]
    published = messages_for(bulk_template, event)
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
    assert message["logGroup"] == LOG_GROUP
    assert message["logStreamName"] == event["detail"]["container"].get("logStreamName", "")
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
        name: json.loads(messages_for(bulk_template, event)[0])["jobType"]
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
    (published,) = messages_for(default_template, FINISHED_EVENTS[name])
    assert json.loads(published)["jobType"] == "file"


@pytest.mark.parametrize("name", sorted(NOT_PUBLISHED_EVENTS))
def test_unfinished_jobs_and_other_queues_are_notpublished(
    default_template: Template, name: str
) -> None:
    assert messages_for(default_template, NOT_PUBLISHED_EVENTS[name]) == []


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


@pytest.mark.parametrize(
    "name", ["file-failed", "file-host-terminated-while-running", "array-child-failed"]
)
def test_a_failed_job_that_ran_says_where_its_log_is(bulk_template: Template, name: str) -> None:
    (published,) = messages_for(bulk_template, FINISHED_EVENTS[name])
    message = json.loads(published)

    assert message["status"] == "FAILED"
    assert message["statusReason"]
    assert (message["logGroup"], message["logStreamName"]) == (LOG_GROUP, LOG_STREAM)


@pytest.mark.parametrize(
    "name",
    [
        "file-cancelled-while-runnable",
        "file-failed-before-starting",
        "array-child-failed-before-starting",
        "array-parent-failed",
    ],
)
def test_a_failed_job_without_a_log_stream_is_still_published_with_its_reason(
    bulk_template: Template, name: str
) -> None:
    event = FINISHED_EVENTS[name]
    (published,) = messages_for(bulk_template, event)
    message = json.loads(published)

    assert message["statusReason"] == event["detail"]["statusReason"]
    assert message["logStreamName"] == ""
