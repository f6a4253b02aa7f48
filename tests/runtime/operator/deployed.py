"""Helpers for the operator tests: an arrival function, and a CloudFormation stack holding
functions as CDK would deploy them (with ``aws:cdk:path`` metadata), in moto."""

from __future__ import annotations

import io
import json
import zipfile

import boto3

FUNCTION = "pipeline-arrival"
STACK = "Lab"


def deploy_function(name: str, environ: dict[str, str]) -> str:
    """Create a Lambda function ``name`` with ``environ`` (its code is never run)."""
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("runtime/arrival/handler.py", "def handler(event, context):\n    pass\n")
    iam = boto3.client("iam")
    try:
        role = iam.get_role(RoleName="arrival")
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="arrival", AssumeRolePolicyDocument="{}")
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="runtime.arrival.handler.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": environ},
    )
    return name


def function_resource(path: str, environ: dict[str, str]) -> dict[str, object]:
    """An ``AWS::Lambda::Function`` resource as CDK writes it, with its construct path."""
    role = boto3.client("iam").create_role(
        RoleName=path.replace("/", "-"), AssumeRolePolicyDocument="{}"
    )
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": role["Role"]["Arn"],
            "Code": {"ZipFile": "def handler(event, context):\n    pass\n"},
            "Environment": {"Variables": environ},
        },
        "Metadata": {"aws:cdk:path": path},
    }


def deploy_stack(name: str, resources: dict[str, dict[str, object]]) -> None:
    """Create the CloudFormation stack ``name`` holding ``resources``."""
    boto3.client("cloudformation").create_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": resources})
    )
