"""Stop and resume a pipeline: the arrival function's event source and the job queue together.

Stopping pauses the event source first, so no new invocation submits to a queue that no longer
takes jobs: files wait in the arrival queue (nothing is received, so nothing is dead-lettered),
and jobs already queued or running finish. Resuming enables the job queue first, then the event
source, and the waiting files are submitted. Each change is announced on the completion topic as
a ``"cost-guard"`` message.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from .. import clients
from ..logs import log
from ..messages import COST_GUARD, KIND
from .settings import GuardSettings

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sns import SNSClient

Action = Literal["stopped", "resumed"]


def stop_pipeline(
    settings: GuardSettings,
    reason: str,
    *,
    lambda_client: LambdaClient | None = None,
    batch: BatchClient | None = None,
    sns: SNSClient | None = None,
) -> dict[str, object]:
    """Pause the arrival event source, disable the job queue, and say so on the topic."""
    (lambda_client or clients.lambda_()).update_event_source_mapping(
        UUID=settings.event_source_mapping_id, Enabled=False
    )
    (batch or clients.batch()).update_job_queue(jobQueue=settings.job_queue_arn, state="DISABLED")
    return _announce(settings, "stopped", reason, sns)


def resume_pipeline(
    settings: GuardSettings,
    reason: str = "resumed by an operator",
    *,
    lambda_client: LambdaClient | None = None,
    batch: BatchClient | None = None,
    sns: SNSClient | None = None,
) -> dict[str, object]:
    """Enable the job queue, then the arrival event source, and say so on the topic."""
    (batch or clients.batch()).update_job_queue(jobQueue=settings.job_queue_arn, state="ENABLED")
    (lambda_client or clients.lambda_()).update_event_source_mapping(
        UUID=settings.event_source_mapping_id, Enabled=True
    )
    return _announce(settings, "resumed", reason, sns)


def _announce(
    settings: GuardSettings, action: Action, reason: str, sns: SNSClient | None
) -> dict[str, object]:
    message: dict[str, object] = {
        KIND: COST_GUARD,
        "action": action,
        "jobQueue": settings.job_queue_arn,
        "reason": reason,
    }
    (sns or clients.sns()).publish(
        TopicArn=settings.completion_topic_arn,
        Subject=f"Batch pipeline {action} by its cost guard"[:100],
        Message=json.dumps(message),
        MessageAttributes={KIND: {"DataType": "String", "StringValue": COST_GUARD}},
    )
    log(f"pipeline-{action}", job_queue=settings.job_queue_arn, reason=reason)
    return message
