"""Find the pipeline an operator names, and read its settings.

A user knows a pipeline by its stack and its construct path (``--stack Lab --pipeline
Lab/Pipeline``); scripts may name the arrival function itself (``--function NAME``). Either way
the settings come from the arrival function's environment (Lambda
``GetFunctionConfiguration``), so a command acts on exactly what the function acts on.

In a stack, the pipelines are the Lambda functions whose environment holds the pipeline settings;
each is known by the ``aws:cdk:path`` metadata CDK writes on its resource in the template.
``--pipeline`` is needed only when the stack holds more than one, and matches a construct path
with or without the stack's own name in front (``Lab/Pipeline`` or ``Pipeline``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import clients
from ..settings import JOB_QUEUE_ARN, ArrivalSettings
from .errors import OperatorError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

_LAMBDA_FUNCTION = "AWS::Lambda::Function"
_CDK_PATH = "aws:cdk:path"
# Where the arrival function sits under a BatchFilePipeline (pipeline.py, _stages/arrival.py).
_ARRIVAL_FUNCTION_SUFFIX = "/Arrival/Function/Resource"


@dataclass(frozen=True)
class PipelineTarget:
    """A deployed pipeline, as its arrival function describes it."""

    function_name: str
    """The arrival function's physical name."""
    settings: ArrivalSettings
    """What the function is configured with."""
    construct_path: str | None = None
    """The pipeline's construct path (``Lab/Pipeline``), when found through its stack."""


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--stack``, ``--pipeline`` and ``--function`` to ``parser``."""
    group = parser.add_argument_group("which pipeline")
    group.add_argument("--stack", help="the CloudFormation stack that holds the pipeline")
    group.add_argument(
        "--pipeline",
        metavar="CONSTRUCT_PATH",
        help="the pipeline's construct path, e.g. Lab/Pipeline (when the stack has several)",
    )
    group.add_argument("--function", help="the arrival function's name or ARN (for scripts)")


def locate(args: argparse.Namespace) -> PipelineTarget:
    """The pipeline that ``--stack``/``--pipeline`` or ``--function`` name."""
    if args.function and (args.stack or args.pipeline):
        raise OperatorError(
            "name the pipeline with --stack (and --pipeline) or --function, not both"
        )
    if args.function:
        return PipelineTarget(args.function, settings_of_function(args.function))
    if args.stack:
        return pipeline_in_stack(args.stack, args.pipeline)
    if args.pipeline:
        raise OperatorError("--pipeline needs --stack: the stack that holds the pipeline")
    raise OperatorError(
        "name the pipeline: --stack NAME [--pipeline CONSTRUCT_PATH], or --function NAME"
    )


def region_of_function(function: str | None) -> str | None:
    """The Region in a function ARN (``arn:aws:lambda:REGION:…``); None for a name or nothing."""
    parts = (function or "").split(":")
    return parts[3] or None if len(parts) > 3 and parts[0] == "arn" else None


def settings_of_function(function_name: str) -> ArrivalSettings:
    """The settings of the arrival function ``function_name``, from its environment."""
    from botocore.exceptions import ClientError

    lambda_client = clients.lambda_()
    try:
        configuration = lambda_client.get_function_configuration(FunctionName=function_name)
    except ClientError as error:
        if _error_code(error) == "ResourceNotFoundException":
            where = _elsewhere_hint(lambda_client.meta.region_name)
            raise OperatorError(f"no Lambda function {function_name!r} {where}") from error
        raise
    environ = configuration.get("Environment", {}).get("Variables", {})
    settings = _pipeline_settings(environ)
    if settings is None:
        raise OperatorError(
            f"function {function_name!r} is not a pipeline's arrival function"
            f" (its environment has no {JOB_QUEUE_ARN})"
        )
    return settings


def _elsewhere_hint(region: str) -> str:
    """Where the command looked, for a user whose pipeline is in another Region."""
    return f"in {region} (deployed to another Region? pass --region)"


def pipeline_in_stack(stack: str, construct_path: str | None) -> PipelineTarget:
    """The pipeline in ``stack`` at ``construct_path`` (optional when the stack has one)."""
    from botocore.exceptions import ClientError

    cloudformation = _cloudformation()
    try:
        functions = _functions_of(cloudformation, stack)
    except ClientError as error:
        if _error_code(error) == "ValidationError":
            where = _elsewhere_hint(cloudformation.meta.region_name)
            raise OperatorError(f"no CloudFormation stack {stack!r} {where}") from error
        raise
    paths = _construct_paths(cloudformation, stack)
    found: list[PipelineTarget] = []
    for logical_id, physical_id in functions:
        configuration = clients.lambda_().get_function_configuration(FunctionName=physical_id)
        settings = _pipeline_settings(configuration.get("Environment", {}).get("Variables", {}))
        if settings is not None:
            found.append(PipelineTarget(physical_id, settings, paths.get(logical_id)))
    if not found:
        raise OperatorError(f"stack {stack!r} holds no batch-pipeline pipeline")
    if construct_path is not None:
        wanted = construct_path.strip("/")
        matching = [t for t in found if _under(t.construct_path, wanted, stack)]
        if len(matching) == 1:
            return matching[0]
        raise OperatorError(
            f"no pipeline at {construct_path!r} in stack {stack!r}; it holds: {_names(found)}"
            if not matching
            else f"{construct_path!r} matches several pipelines: {_names(matching)}"
        )
    if len(found) > 1:
        raise OperatorError(
            f"stack {stack!r} holds {len(found)} pipelines; choose one with --pipeline:"
            f" {_names(found)}"
        )
    return found[0]


def _pipeline_settings(environ: Mapping[str, str]) -> ArrivalSettings | None:
    if JOB_QUEUE_ARN not in environ:
        return None
    try:
        return ArrivalSettings.from_environ(environ)
    except (KeyError, ValueError):
        return None


def _cloudformation() -> CloudFormationClient:
    import boto3

    return boto3.client("cloudformation")


def _functions_of(cloudformation: CloudFormationClient, stack: str) -> list[tuple[str, str]]:
    """``(logical ID, physical ID)`` of every Lambda function in ``stack``."""
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
    return [
        (summary["LogicalResourceId"], summary["PhysicalResourceId"])
        for page in pages
        for summary in page["StackResourceSummaries"]
        if summary["ResourceType"] == _LAMBDA_FUNCTION and summary.get("PhysicalResourceId")
    ]


def _construct_paths(cloudformation: CloudFormationClient, stack: str) -> dict[str, str]:
    """The ``aws:cdk:path`` of each resource in the stack's template, by logical ID."""
    body: Any = cloudformation.get_template(StackName=stack, TemplateStage="Original")[
        "TemplateBody"
    ]
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:  # a YAML template was not written by CDK: no construct paths
            return {}
    resources = body.get("Resources", {}) if isinstance(body, dict) else {}
    return {
        logical_id: str(resource["Metadata"][_CDK_PATH]).removesuffix(_ARRIVAL_FUNCTION_SUFFIX)
        for logical_id, resource in resources.items()
        if isinstance(resource, dict) and _CDK_PATH in resource.get("Metadata", {})
    }


def _under(path: str | None, wanted: str, stack: str) -> bool:
    if path is None:
        return False
    return any(
        path == candidate or path.startswith(f"{candidate}/")
        for candidate in (wanted, f"{stack}/{wanted}")
    )


def _names(targets: list[PipelineTarget]) -> str:
    return ", ".join(t.construct_path or t.function_name for t in targets)


def _error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
