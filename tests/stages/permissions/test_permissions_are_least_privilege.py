"""IAM: the job reads the input and writes the output; the Lambda submits to this queue only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from batch_pipeline_construct import BulkOptions
from tests.support.pipeline_builders import resources, template_of


def _statements(template: Template, role_fragment: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    found = [
        statement
        for policy in policies.values()
        if any(role_fragment in role["Ref"] for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert found, f"no policy for a role matching {role_fragment}"
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def test_job_role_reads_input_objects_and_writes_output_objects_only(
    default_template: Template,
) -> None:
    statements = _statements(default_template, "JobRole")
    actions = sorted(a for s in statements for a in _actions(s))
    assert actions == [
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
    ]
    by_action = {a: s for s in statements for a in _actions(s)}
    assert "Input" in str(by_action["s3:GetObject"]["Resource"])
    assert "Output" in str(by_action["s3:PutObject"]["Resource"])
    assert "Input" not in str(by_action["s3:PutObject"]["Resource"])


def test_arrival_function_submits_to_this_queue_and_every_revision_of_its_definition(
    default_template: Template,
) -> None:
    statements = _statements(default_template, "ArrivalFunctionRole")
    submit = next(s for s in statements if "batch:SubmitJob" in _actions(s))
    assert _actions(submit) == ["batch:SubmitJob"]
    queue_id = next(iter(default_template.find_resources("AWS::Batch::JobQueue")))
    definitions = [r["Fn::Join"][1] for r in _resources(submit) if "Fn::Join" in r]
    assert {"Fn::GetAtt": [queue_id, "JobQueueArn"]} in _resources(submit)
    assert all(":job-definition/" in parts for parts in definitions)
    # The definition by name, and every revision of it (name:*): nothing broader.
    assert sorted(parts[-1] == ":*" for parts in definitions) == [False, True]


def test_arrival_function_may_look_jobs_up_by_name(default_template: Template) -> None:
    statements = _statements(default_template, "FunctionRole")
    lookup = next(s for s in statements if "batch:ListJobs" in _actions(s))
    assert _actions(lookup) == ["batch:ListJobs"]
    assert _resources(lookup) == ["*"]


def test_no_wildcard_action_and_no_wildcard_resource_but_the_image_pull_and_job_lookup(
    default_template: Template,
) -> None:
    for policy_id, policy in default_template.find_resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert not any(a == "*" or a.endswith(":*") for a in _actions(statement)), policy_id
            if "*" in _resources(statement):
                assert _actions(statement) in (["ecr:GetAuthorizationToken"], ["batch:ListJobs"]), (
                    policy_id,
                    statement,
                )


def test_arrival_function_may_claim_mark_and_release_deduplication_entries_only(
    default_template: Template,
) -> None:
    statements = _statements(default_template, "ArrivalFunctionRole")
    table_actions = sorted(a for s in statements for a in _actions(s) if a.startswith("dynamodb:"))
    assert table_actions == ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]


def test_in_bulk_mode_the_job_and_record_roles_may_list_the_output_bucket_itself(
    dockerfile_dir: Path,
) -> None:
    # Without s3:ListBucket, S3 answers a GET of a missing key 403, not 404: every packed
    # child's first look for its outcomes object (there is none yet) would fail as a refusal.
    template = template_of(dockerfile_dir, mode=BulkOptions())
    [output_id] = [i for i in resources(template, "AWS::S3::Bucket") if "Output" in i]
    output_bucket = {"Fn::GetAtt": [output_id, "Arn"]}
    for role in ("JobRole", "RecordsFunctionRole"):
        listing = [s for s in _statements(template, role) if "s3:ListBucket" in _actions(s)]
        assert [_resources(s) for s in listing] == [[output_bucket]], role
        assert all(_actions(s) == ["s3:ListBucket"] for s in listing), role
