"""normalize_template on hand-written templates: what it replaces, what it keeps."""

import copy
from typing import Any

from batch_pipeline_construct.testing import normalize_template

HASH_A = "a" * 63 + "1"
HASH_B = "b" * 63 + "2"
VERSION_HASH = "0123456789abcdef0123456789abcdef"
VERSION_ID = f"FnCurrentVersion17A89ABB{VERSION_HASH}"


def _template() -> dict[str, Any]:
    return {
        "Resources": {
            "Fn9270CBC0": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {"S3Bucket": "assets", "S3Key": f"{HASH_A}.zip"},
                    "MemorySize": 256,
                },
                "Metadata": {
                    "aws:cdk:path": "Stack/Fn/Resource",
                    "aws:asset:path": f"asset.{HASH_A}",
                    "aws:asset:property": "Code",
                },
            },
            VERSION_ID: {
                "Type": "AWS::Lambda::Version",
                "Properties": {"FunctionName": {"Ref": "Fn9270CBC0"}},
                "Metadata": {"aws:cdk:do-not-refactor": True},
            },
            "Alias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionVersion": {"Fn::GetAtt": [VERSION_ID, "Version"]},
                    "Description": {"Fn::Sub": f"${{{VERSION_ID}.Version}}"},
                },
                "DependsOn": [VERSION_ID],
            },
            "JobDefinition": {
                "Type": "AWS::Batch::JobDefinition",
                "Properties": {
                    "Image": {
                        "Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/"
                        f"cdk-hnb659fds-container-assets-${{AWS::AccountId}}-${{AWS::Region}}:{HASH_B}"
                    },
                    "Tags": {"image": {"Fn::Join": [":", ["repo", HASH_B]]}},
                },
            },
            "CDKMetadata": {
                "Type": "AWS::CDK::Metadata",
                "Properties": {"Analytics": "v2:deflate64:abc"},
                "Condition": "CDKMetadataAvailable",
            },
        },
        "Conditions": {"CDKMetadataAvailable": {"Fn::Equals": ["a", "a"]}},
        "Parameters": {
            "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"},
            "UserParameter": {"Type": "String"},
        },
        "Rules": {"CheckBootstrapVersion": {"Assertions": []}},
    }


def test_asset_hashes_become_numbered_placeholders_everywhere() -> None:
    normalized = normalize_template(_template())
    function = normalized["Resources"]["Fn9270CBC0"]
    job = normalized["Resources"]["JobDefinition"]["Properties"]

    assert function["Properties"]["Code"]["S3Key"] == "<asset-hash-1>.zip"
    assert job["Image"]["Fn::Sub"].endswith(
        "container-assets-${AWS::AccountId}-${AWS::Region}:<asset-hash-2>"
    )
    assert job["Tags"]["image"] == {"Fn::Join": [":", ["repo", "<asset-hash-2>"]]}
    assert HASH_A not in repr(normalized) and HASH_B not in repr(normalized)


def test_numbering_follows_sorted_keys_not_dict_order() -> None:
    template = _template()
    reordered = {"Resources": dict(reversed(list(template["Resources"].items())))}
    template_resources_only = {"Resources": template["Resources"]}

    assert normalize_template(reordered) == normalize_template(template_resources_only)


def test_the_same_hash_gets_the_same_placeholder_and_different_hashes_do_not() -> None:
    template = {
        "Resources": {"A": {"Properties": {"X": HASH_A, "Y": f"s3://b/{HASH_A}", "Z": HASH_B}}}
    }

    properties = normalize_template(template)["Resources"]["A"]["Properties"]

    assert properties == {
        "X": "<asset-hash-1>",
        "Y": "s3://b/<asset-hash-1>",
        "Z": "<asset-hash-2>",
    }


def test_lambda_version_code_hash_is_replaced_in_the_id_and_every_reference() -> None:
    resources = normalize_template(_template())["Resources"]
    stable_id = "FnCurrentVersion17A89ABB<version-hash-1>"

    assert stable_id in resources and VERSION_ID not in resources
    alias = resources["Alias"]
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [stable_id, "Version"]}
    assert alias["Properties"]["Description"] == {"Fn::Sub": f"${{{stable_id}.Version}}"}
    assert alias["DependsOn"] == [stable_id]
    assert resources[stable_id]["Metadata"] == {"aws:cdk:do-not-refactor": True}


def test_cdk_bookkeeping_is_removed_and_user_content_kept() -> None:
    normalized = normalize_template(_template())

    assert "CDKMetadata" not in normalized["Resources"]
    assert "Conditions" not in normalized
    assert "Rules" not in normalized
    assert normalized["Parameters"] == {"UserParameter": {"Type": "String"}}
    assert "Metadata" not in normalized["Resources"]["Fn9270CBC0"]
    assert normalized["Resources"]["Fn9270CBC0"]["Properties"]["MemorySize"] == 256


def test_the_input_is_not_modified() -> None:
    template = _template()
    before = copy.deepcopy(template)

    normalize_template(template)

    assert template == before


def test_normalizing_twice_changes_nothing_more() -> None:
    once = normalize_template(_template())

    assert normalize_template(once) == once
