"""One Lambda function on the package's ``runtime`` code: its log group, its role, the function.

The arrival, record and cost-guard functions differ only in handler, settings, size and
permissions; this builds the parts they share. The parts are children of the calling stage
(``FunctionLogs``, ``FunctionRole``, ``Function``), so each stage's logical IDs are its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, aws_iam, aws_lambda, aws_logs
from constructs import Construct

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The asset is the runtime/ package alone: the handlers import no CDK and boto3 comes with the
# Lambda runtime. Caches are excluded so that the asset hash changes only when the code does.
# runtime/local runs on the user's machine (batch-pipeline local), never in Lambda.
_RUNTIME_ASSET_EXCLUDE = [
    "*",
    "!runtime",
    "!runtime/**",
    "runtime/local",
    "**/__pycache__",
    "**/*.pyc",
]


def runtime_code() -> aws_lambda.Code:
    """The functions' code: the package's ``runtime`` folder, found relative to this file."""
    return aws_lambda.Code.from_asset(str(_PACKAGE_DIR), exclude=_RUNTIME_ASSET_EXCLUDE)


@dataclass(frozen=True)
class RuntimeFunction:
    """A function on the runtime code, with the role and the log group it was given."""

    function: aws_lambda.Function
    """The Lambda function."""
    role: aws_iam.Role
    """Its execution role (it may write to ``log_group``; grant it the rest)."""
    log_group: aws_logs.LogGroup
    """Its log group, with the pipeline's retention."""


def runtime_function(
    scope: Construct,
    *,
    handler: str,
    environment: dict[str, str],
    timeout: Duration,
    role_description: str,
    description: str,
    log_retention: aws_logs.RetentionDays,
    removal_policy: RemovalPolicy,
    memory_size: int | None = None,
) -> RuntimeFunction:
    """Build ``FunctionLogs``, ``FunctionRole`` and ``Function`` in ``scope`` running ``handler``."""
    log_group = aws_logs.LogGroup(
        scope, "FunctionLogs", retention=log_retention, removal_policy=removal_policy
    )
    role = aws_iam.Role(
        scope,
        "FunctionRole",
        assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com"),
        description=role_description,
    )
    log_group.grant_write(role)
    function = aws_lambda.Function(
        scope,
        "Function",
        runtime=aws_lambda.Runtime.PYTHON_3_14,
        architecture=aws_lambda.Architecture.ARM_64,
        handler=handler,
        code=runtime_code(),
        memory_size=memory_size,
        timeout=timeout,
        role=role,
        log_group=log_group,
        environment=environment,
        description=description,
    )
    return RuntimeFunction(function=function, role=role, log_group=log_group)
