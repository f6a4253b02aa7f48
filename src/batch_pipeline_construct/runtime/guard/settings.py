"""The cost guard function's settings: what the construct hands it (and the operator's ``resume``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import JOB_QUEUE_ARN, EnvironSettings, setting

EVENT_SOURCE_MAPPING_ID = "BPC_EVENT_SOURCE_MAPPING_ID"
COMPLETION_TOPIC_ARN = "BPC_COMPLETION_TOPIC_ARN"

COST_ALLOCATION_TAG = "batch-pipeline"
"""The tag the construct puts on the pipeline's compute (value: the pipeline's unique ID); the
budget counts the costs carrying it. Activate it as a cost allocation tag in the Billing console."""


@dataclass(frozen=True)
class GuardSettings(EnvironSettings):
    """Which pipeline the guard stops and resumes, and where it says so."""

    job_queue_arn: str = setting(JOB_QUEUE_ARN)
    """The job queue that stops taking new jobs."""
    event_source_mapping_id: str = setting(EVENT_SOURCE_MAPPING_ID)
    """The arrival function's event source mapping: paused, so files wait in the arrival queue."""
    completion_topic_arn: str = setting(COMPLETION_TOPIC_ARN)
    """Where the ``"cost-guard"`` messages go."""
