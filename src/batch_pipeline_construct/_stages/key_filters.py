"""One input bucket, several pipelines: their S3 notification filters must not overlap.

S3 rejects a bucket's whole notification configuration when two ObjectCreated filters could
match one key, so a second pipeline on the same bucket object fails at deploy unless its filters
are checked against the first's here, at synth. Filters added outside the pipelines (or already
on an imported bucket) are not visible to synth: README states that case.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import aws_s3
from constructs import Construct

from ..errors import PipelineConfigurationError
from ..options import TriggerOptions, key_filters_overlap

_REGISTRY_ID = "BatchPipelineKeyFilters"


class _BucketKeyFilters(Construct):
    """The (prefix, suffix) filters, by pipeline path, that pipelines added to one bucket."""

    def __init__(self, bucket: aws_s3.IBucket) -> None:
        # Every IBucket, made or imported, is a construct; the interface type does not say so.
        super().__init__(cast(Construct, bucket), _REGISTRY_ID)
        self.claimed: list[tuple[tuple[str, str], str]] = []


def claim_key_filters(bucket: aws_s3.IBucket, trigger: TriggerOptions, pipeline_path: str) -> None:
    """Record ``trigger``'s filters on ``bucket``; raise if they overlap another pipeline's."""
    registry = bucket.node.try_find_child(_REGISTRY_ID)
    if not isinstance(registry, _BucketKeyFilters):
        registry = _BucketKeyFilters(bucket)
    for key_filter in trigger.key_filters():
        for other_filter, other_pipeline in registry.claimed:
            if key_filters_overlap(key_filter, other_filter):
                raise PipelineConfigurationError(
                    "trigger",
                    {"prefix": key_filter[0], "suffix": key_filter[1]},
                    f"filters that do not overlap those of {other_pipeline} on the same input "
                    f"bucket (prefix {other_filter[0]!r}, suffix {other_filter[1]!r}): S3 rejects "
                    "two ObjectCreated filters that can match one key; give each pipeline its "
                    "own prefix, e.g. 'images/' and 'tables/'",
                )
    registry.claimed.extend((key_filter, pipeline_path) for key_filter in trigger.key_filters())
