"""Every check of the props, in one place, reporting every mistake at once.

Each option group checks its own fields (``validate()`` in ``options.py``); the checks that
involve several props are here. :func:`validate_props` runs them all and raises one
:class:`PipelineConfigurationError` that lists every wrong prop (its ``problems``), so a user
fixes them in one go rather than one synth at a time.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Token, aws_ec2, aws_s3, aws_sns

from .errors import PipelineConfigurationError
from .options import (
    AlarmOptions,
    ArrivalOptions,
    BulkOptions,
    ComputeOptions,
    CostGuardOptions,
    JobOptions,
    NotificationOptions,
    PerFileOptions,
    SharedDataOptions,
    TriggerOptions,
)
from .runtime.job.contract import MAX_OUTPUT_ROOT_PREFIX_BYTES
from .runtime.records.report import RUN_REPORT_PREFIX


def validate_props(
    *,
    compute: ComputeOptions,
    job: JobOptions,
    trigger: TriggerOptions,
    mode: PerFileOptions | BulkOptions,
    arrival: ArrivalOptions,
    alarms: AlarmOptions,
    notifications: NotificationOptions,
    input_bucket: aws_s3.IBucket | None,
    output_bucket: aws_s3.IBucket | None,
    output_prefix: str,
    vpc: aws_ec2.IVpc | None,
    completion_topic: aws_sns.ITopic | None,
    cost_guard: CostGuardOptions | None = None,
    shared_data: SharedDataOptions | None = None,
) -> None:
    """Raise one :class:`PipelineConfigurationError` listing every wrong prop, if any."""
    bulk = mode if isinstance(mode, BulkOptions) else None
    checks: list[Callable[[], None]] = [
        compute.validate,
        lambda: job.validate(compute),
        trigger.validate,
        mode.validate,
        arrival.validate,
        alarms.validate,
        lambda: notifications.validate(topic_given=completion_topic is not None),
        lambda: _validate_output_prefix(output_prefix),
        lambda: _validate_subnets(compute, vpc),
    ]
    if cost_guard is not None:
        checks.append(cost_guard.validate)
    if shared_data is not None:
        checks += [shared_data.validate, lambda: _validate_shared_data_vpc(shared_data, vpc)]
    if bulk is not None:
        checks.append(lambda: bulk.packing.validate(job))
    if _same_bucket(input_bucket, output_bucket):
        checks.append(lambda: _validate_shared_bucket(trigger, output_prefix, bulk))
    problems: list[PipelineConfigurationError] = []
    for check in checks:
        try:
            check()
        except PipelineConfigurationError as error:
            problems += error.problems
    if problems:
        first, *more = problems
        raise PipelineConfigurationError(first.prop, first.value, first.allowed, more=more)


def _validate_output_prefix(output_prefix: str) -> None:
    if output_prefix and (output_prefix.startswith("/") or not output_prefix.endswith("/")):
        raise PipelineConfigurationError(
            "output_prefix",
            output_prefix,
            "a folder-like prefix without a leading '/', e.g. 'results/', or ''",
        )
    if len(output_prefix.encode()) > MAX_OUTPUT_ROOT_PREFIX_BYTES:
        raise PipelineConfigurationError(
            "output_prefix",
            output_prefix,
            f"at most {MAX_OUTPUT_ROOT_PREFIX_BYTES} bytes (UTF-8), so every job's OUTPUT_PREFIX "
            "fits in an S3 key with room for its files",
        )


def _validate_subnets(compute: ComputeOptions, vpc: aws_ec2.IVpc | None) -> None:
    if compute.subnets is not None and vpc is None:
        raise PipelineConfigurationError(
            "compute.subnets",
            compute.subnets,
            "subnets can only be chosen in a VPC you pass as vpc",
        )


def _validate_shared_data_vpc(shared_data: SharedDataOptions, vpc: aws_ec2.IVpc | None) -> None:
    if shared_data.file_system is not None and vpc is None:
        raise PipelineConfigurationError(
            "shared_data.file_system",
            shared_data.file_system,
            "a file system of the VPC the jobs run in: pass that VPC as vpc (a new VPC would "
            "have no mount target of it)",
        )


def _same_bucket(first: aws_s3.IBucket | None, second: aws_s3.IBucket | None) -> bool:
    """One bucket, whether passed twice or imported twice under its name."""
    if first is None or second is None:
        return False
    names = (first.bucket_name, second.bucket_name)
    return first is second or (
        not any(Token.is_unresolved(name) for name in names) and names[0] == names[1]
    )


def _validate_shared_bucket(
    trigger: TriggerOptions, output_prefix: str, bulk: BulkOptions | None
) -> None:
    """One bucket for input and output must never let outputs (or manifests) trigger new jobs."""
    written = [output_prefix, RUN_REPORT_PREFIX] + ([bulk.manifest_prefix] if bulk else [])
    if not trigger.prefix or any(
        prefix.startswith(trigger.prefix) or not prefix for prefix in written
    ):
        raise PipelineConfigurationError(
            "output_bucket",
            "the input bucket",
            "when input and output share a bucket, set trigger.prefix and an output_prefix outside it "
            "(e.g. 'incoming/' and 'results/'), or every result would start another job",
        )
