"""Bounded log groups for aws-cdk-lib's own Lambda functions that the pipeline brings into a stack.

aws-cdk-lib's bucket-notifications handler (every pipeline) and its auto-delete-objects provider
(``removal_policy=DESTROY``) are stack singletons without a log group of their own, so Lambda
would create ``/aws/lambda/<name>`` on their first run, kept forever. Each gets a log group with
the pipeline's retention, and its function's ``LoggingConfig`` points there (the functions' roles
carry ``AWSLambdaBasicExecutionRole``, which may write to any log group). In a stack with several
pipelines, the first one's ``log_retention`` and ``removal_policy`` apply.
"""

from __future__ import annotations

from aws_cdk import CfnResource, RemovalPolicy, Stack, aws_logs
from constructs import Construct

from .security import BUCKET_NOTIFICATIONS_HANDLER

# (singleton's construct ID in the stack, its function's child ID, our log group's construct ID)
_HELPER_FUNCTIONS = (
    (BUCKET_NOTIFICATIONS_HANDLER, "Resource", "BucketNotificationsHandlerLogs"),
    ("Custom::S3AutoDeleteObjectsCustomResourceProvider", "Handler", "AutoDeleteObjectsLogs"),
)


def bound_helper_logs(
    pipeline: Construct, retention: aws_logs.RetentionDays, removal_policy: RemovalPolicy
) -> None:
    """Give each aws-cdk-lib helper function in the pipeline's stack a log group with ``retention``."""
    stack = Stack.of(pipeline)
    for singleton_id, function_id, log_group_id in _HELPER_FUNCTIONS:
        singleton = stack.node.try_find_child(singleton_id)
        if singleton is None or stack.node.try_find_child(log_group_id) is not None:
            continue
        function = singleton.node.find_child(function_id)
        if not isinstance(function, CfnResource):
            continue
        log_group = aws_logs.LogGroup(
            stack, log_group_id, retention=retention, removal_policy=removal_policy
        )
        function.add_property_override("LoggingConfig.LogGroup", log_group.log_group_name)
