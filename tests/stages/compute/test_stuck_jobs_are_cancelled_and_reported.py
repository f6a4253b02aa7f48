"""A job that can never be placed is cancelled after ``job.stuck_timeout`` and reported FAILED.

AWS Batch's job-queue state-time-limit actions cancel a job that stays RUNNABLE for a reason that
does not pass by itself; a cancelled job ends FAILED, which the completion rule publishes with
Batch's status reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template

from batch_pipeline_construct import JobOptions, PipelineConfigurationError
from tests.support.pipeline_builders import only, template_of

BLOCKING_REASONS = {
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
}


def _actions(template: Template) -> list[dict[str, object]] | None:
    _, queue = only(template, "AWS::Batch::JobQueue")
    actions: list[dict[str, object]] | None = queue["Properties"].get("JobStateTimeLimitActions")
    return actions


def test_stuck_jobs_are_cancelled_after_30_minutes_by_default(default_template: Template) -> None:
    actions = _actions(default_template)

    assert actions is not None
    assert {a["Reason"] for a in actions} == BLOCKING_REASONS
    assert {(a["Action"], a["State"], a["MaxTimeSeconds"]) for a in actions} == {
        ("CANCEL", "RUNNABLE", 1800)
    }


def test_the_limit_is_a_prop(dockerfile_dir: Path) -> None:
    template = template_of(dockerfile_dir, job=JobOptions(stuck_timeout=Duration.minutes(10)))

    assert {a["MaxTimeSeconds"] for a in _actions(template) or []} == {600}


def test_none_lets_stuck_jobs_wait(dockerfile_dir: Path) -> None:
    assert _actions(template_of(dockerfile_dir, job=JobOptions(stuck_timeout=None))) is None


@pytest.mark.parametrize("limit", [Duration.minutes(9), Duration.hours(25)], ids=["9m", "25h"])
def test_a_limit_batch_does_not_allow_is_refused(dockerfile_dir: Path, limit: Duration) -> None:
    with pytest.raises(PipelineConfigurationError, match="600 to 86400 seconds") as refused:
        template_of(dockerfile_dir, job=JobOptions(stuck_timeout=limit))

    assert refused.value.prop == "job.stuck_timeout"


def test_cancelled_jobs_are_published_as_failed_with_their_reason(
    default_template: Template,
) -> None:
    rules = default_template.find_resources("AWS::Events::Rule")
    (rule,) = [r for logical_id, r in rules.items() if "FileWithStatusReason" in logical_id][:1]
    (target,) = rule["Properties"]["Targets"]

    assert "FAILED" in rule["Properties"]["EventPattern"]["detail"]["status"]
    assert target["InputTransformer"]["InputPathsMap"]["statusReason"] == "$.detail.statusReason"
