"""The integration test app (integ/integ_minimal_pipeline.py) synthesizes, with its assertions.

Deploying it needs an AWS account (see the app's docstring); here its templates are built
in-process, checked for the assertions the integ test relies on, and snapshot-tested with asset
hashes normalized, so a change of the deployed test shows up in review.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aws_cdk import cx_api
from syrupy.assertion import SnapshotAssertion

from batch_pipeline_construct.testing import TemplateSnapshotExtension

INTEG_APP = Path(__file__).resolve().parent / "integ_minimal_pipeline.py"


def _integ_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("integ_minimal_pipeline", INTEG_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


integ = _integ_module()


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    app = integ.build_app(outdir=str(tmp_path_factory.mktemp("integ")))
    synthesized: cx_api.CloudAssembly = app.synth()
    return synthesized


def _test_case(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    manifest = json.loads((Path(assembly.directory) / "integ.json").read_text())
    (test_case,) = manifest["testCases"].values()
    found: dict[str, Any] = test_case
    return found


def _stack_names(assembly: cx_api.CloudAssembly) -> dict[str, str]:
    """The role of each stack in the integ test -> its name."""
    return {
        "pipeline": integ.PIPELINE_STACK,
        "observer": integ.OBSERVER_STACK,
        "assertions": _test_case(assembly)["assertionStackName"],
    }


def _resources(assembly: cx_api.CloudAssembly, stack: str) -> dict[str, Any]:
    resources: dict[str, Any] = assembly.get_stack_by_name(stack).template["Resources"]
    return resources


def _api_call(
    assembly: cx_api.CloudAssembly, service_and_api: str, mentioning: str = ""
) -> tuple[str, dict[str, Any]]:
    """(logical ID, resource) of the one assertion that calls ``service_and_api`` and whose
    parameters or expected result mention ``mentioning``."""
    stack = _stack_names(assembly)["assertions"]
    (found,) = [
        (logical_id, resource)
        for logical_id, resource in _resources(assembly, stack).items()
        if resource["Type"] == f"Custom::DeployAssert@SdkCall{service_and_api}"
        and mentioning in json.dumps(resource["Properties"])
    ]
    return found


def _import_of(stack: str, value: Any) -> str:
    """The export a parameter imports (parameters are JSON-quoted: ``"`` + import + ``"``)."""
    (_, (_, imported, _)) = value["Fn::Join"]
    export: str = imported["Fn::ImportValue"]
    assert export.startswith(f"{stack}:"), export
    return export


def test_integ_test_deploys_the_minimal_example_and_an_observer(
    assembly: cx_api.CloudAssembly,
) -> None:
    assert _test_case(assembly)["stacks"] == [integ.PIPELINE_STACK, integ.OBSERVER_STACK]
    pipeline = _resources(assembly, integ.PIPELINE_STACK)
    assert sum(r["Type"] == "AWS::Batch::JobQueue" for r in pipeline.values()) == 1
    (subscription,) = [
        r["Properties"]
        for r in _resources(assembly, integ.OBSERVER_STACK).values()
        if r["Type"] == "AWS::SNS::Subscription"
    ]
    assert subscription["Protocol"] == "sqs"
    assert subscription["RawMessageDelivery"] is True
    assert "CompletionTopic" in subscription["TopicArn"]["Fn::ImportValue"]


def test_integ_test_uploads_a_file_to_the_input_bucket(assembly: cx_api.CloudAssembly) -> None:
    _, upload = _api_call(assembly, "S3putObject", "hello world")
    parameters = upload["Properties"]["parameters"]
    assert "PipelineStorageInput" in _import_of(integ.PIPELINE_STACK, parameters["Bucket"])
    assert json.loads(parameters["Key"]) == "integ/hello world.txt"
    assert json.loads(parameters["Body"]) == integ.INPUT_BODY


def test_integ_test_then_waits_for_the_summary_under_the_derived_prefix(
    assembly: cx_api.CloudAssembly,
) -> None:
    upload_id, _ = _api_call(assembly, "S3putObject", "hello world")
    _, summary = _api_call(assembly, "S3getObject")
    parameters = summary["Properties"]["parameters"]
    assert "PipelineStorageOutput" in _import_of(integ.PIPELINE_STACK, parameters["Bucket"])
    assert json.loads(parameters["Key"]) == "integ/hello world.txt/summary.json"
    # After the upload and the failing file's upload and delete (see the failure test).
    _, vanishing_upload = _api_call(assembly, "S3putObject", integ.VANISHING_KEY)
    delete_id, _ = _api_call(assembly, "S3deleteObject")
    assert upload_id in vanishing_upload["DependsOn"]
    assert delete_id in summary["DependsOn"]
    # wait_for_assertions: the call is retried by a Step Functions waiter until it matches.
    assert "stateMachineArn" in summary["Properties"]
    expected = json.dumps(summary["Properties"]["expected"])
    assert "$SerializedJson" in expected and '\\"lines\\":2' in expected


def test_integ_test_finally_waits_for_a_succeeded_completion_message(
    assembly: cx_api.CloudAssembly,
) -> None:
    summary_id, _ = _api_call(assembly, "S3getObject")
    _, completion = _api_call(assembly, "SQSreceiveMessage", "SUCCEEDED")
    properties = completion["Properties"]
    assert "Completions" in _import_of(integ.OBSERVER_STACK, properties["parameters"]["QueueUrl"])
    assert summary_id in completion["DependsOn"]
    assert "stateMachineArn" in properties
    expected = json.dumps(properties["expected"])
    assert '\\"status\\":\\"SUCCEEDED\\"' in expected
    assert "/integ/hello world.txt" in expected


def test_integ_test_makes_a_job_fail_by_deleting_its_file_at_once(
    assembly: cx_api.CloudAssembly,
) -> None:
    upload_id, upload = _api_call(assembly, "S3putObject", integ.VANISHING_KEY)
    _, delete = _api_call(assembly, "S3deleteObject", integ.VANISHING_KEY)
    assert upload_id in delete["DependsOn"]
    assert json.loads(delete["Properties"]["parameters"]["Key"]) == integ.VANISHING_KEY
    assert (
        upload["Properties"]["parameters"]["Bucket"] == delete["Properties"]["parameters"]["Bucket"]
    )


def test_integ_test_waits_for_the_failed_jobs_message_in_its_documented_shape(
    assembly: cx_api.CloudAssembly,
) -> None:
    succeeded_id, _ = _api_call(assembly, "SQSreceiveMessage", "SUCCEEDED")
    _, failed = _api_call(assembly, "SQSreceiveMessage", "FAILED")
    assert succeeded_id in failed["DependsOn"]
    assert "stateMachineArn" in failed["Properties"]
    expected = json.dumps(failed["Properties"]["expected"])
    for fragment in (
        '\\"kind\\":\\"job\\"',
        '\\"jobType\\":\\"file\\"',
        '\\"exitCode\\":1',
        integ.VANISHING_KEY,
        "statusReason",
    ):
        assert fragment in expected, fragment


def test_integ_test_waits_for_the_failed_jobs_alarm_on_the_topic(
    assembly: cx_api.CloudAssembly,
) -> None:
    failed_id, _ = _api_call(assembly, "SQSreceiveMessage", "FAILED")
    _, alarm = _api_call(assembly, "SQSreceiveMessage", "AlarmName")
    assert failed_id in alarm["DependsOn"]
    expected = json.dumps(alarm["Properties"]["expected"])
    assert "FailedJobs" in expected and '\\"NewStateValue\\":\\"ALARM\\"' in expected


def _without_salt(template: dict[str, Any]) -> dict[str, Any]:
    """integ-tests-alpha salts each API call with the synthesis time, so CloudFormation runs it
    again on every deploy; the salt would make every snapshot differ."""
    copy = json.loads(json.dumps(template))
    for resource in copy.get("Resources", {}).values():
        if resource["Type"].startswith("Custom::DeployAssert@") and "salt" in resource.get(
            "Properties", {}
        ):
            resource["Properties"]["salt"] = "<synthesis-time>"
    return copy


@pytest.mark.parametrize("role", ["pipeline", "observer", "assertions"])
def test_integ_stack_templates_match_their_snapshots(
    role: str, assembly: cx_api.CloudAssembly, snapshot: SnapshotAssertion
) -> None:
    template = assembly.get_stack_by_name(_stack_names(assembly)[role]).template
    assert snapshot.use_extension(TemplateSnapshotExtension) == _without_salt(template)
