"""batch-pipeline-construct: files that land in S3 are processed by AWS Batch jobs.

The public names are imported lazily, so that ``batch_pipeline_construct.runtime`` (the code that
runs in the arrival Lambda and on an operator's machine) can be imported where aws-cdk-lib is not
installed. Job images get the job runtime without this package: the construct stages it into
their build context (see ``_stages/job_image.py``).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import PipelineConfigurationError
    from .options import (
        AlarmOptions,
        ArrivalOptions,
        BucketOptions,
        BulkOptions,
        ComputeOptions,
        ComputeType,
        CostGuardOptions,
        EmailNotifications,
        JobOptions,
        JobSize,
        NotificationOptions,
        PackingOptions,
        PerFileOptions,
        RecordOptions,
        SharedDataOptions,
        TriggerOptions,
    )
    from .pipeline import BatchFilePipeline

__all__ = [
    "AlarmOptions",
    "ArrivalOptions",
    "BatchFilePipeline",
    "BucketOptions",
    "BulkOptions",
    "ComputeOptions",
    "ComputeType",
    "CostGuardOptions",
    "EmailNotifications",
    "JobOptions",
    "JobSize",
    "PackingOptions",
    "NotificationOptions",
    "PerFileOptions",
    "PipelineConfigurationError",
    "RecordOptions",
    "SharedDataOptions",
    "TriggerOptions",
]

_MODULE_OF = {
    "BatchFilePipeline": ".pipeline",
    "PipelineConfigurationError": ".errors",
    **{name: ".options" for name in __all__ if name.endswith(("Options", "Type", "Notifications"))},
    "JobSize": ".options",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_MODULE_OF[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
