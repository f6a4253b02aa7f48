"""cdk-nag findings raised by aws-cdk-lib's own helpers, acknowledged on the exact resource.

Acknowledgements use aws-cdk-lib's ``Validations`` API, so the library does not depend on
cdk-nag; the AwsSolutions pack reads them. The pipeline's own resources are fixed, or acknowledge
their one unavoidable finding where they are made (``permissions.py``, ``completion.py``).
"""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from .permissions import acknowledge

# aws-cdk-lib's singleton that applies S3 bucket notifications (one per stack, shared by every
# bucket with notifications). Its code and role are aws-cdk-lib's, not the pipeline's.
BUCKET_NOTIFICATIONS_HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"


def acknowledge_unavoidable_findings(pipeline: Construct) -> None:
    """Acknowledge the findings of aws-cdk-lib helpers the pipeline brings into its stack."""
    handler = Stack.of(pipeline).node.try_find_child(BUCKET_NOTIFICATIONS_HANDLER)
    if handler is not None:
        acknowledge(
            handler,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "aws-cdk-lib's bucket-notifications handler; its role is not configurable.",
        )
