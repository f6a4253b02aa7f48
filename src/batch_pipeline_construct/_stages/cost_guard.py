"""The optional cost guard: a monthly AWS Budget for the pipeline's compute that, when its
forecast passes a threshold, stops the pipeline taking new jobs (``runtime/guard``).

The budget counts costs tagged ``runtime.guard.settings.COST_ALLOCATION_TAG`` with this pipeline's
unique ID: the construct tags every resource of the pipeline, has Batch propagate the job
definition's tags to the ECS tasks it starts, and (EC2 compute) tags the instances. The tag must
be activated as a cost allocation tag in the Billing console before costs carry it.
"""

from __future__ import annotations

from aws_cdk import (
    ArnFormat,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
    Tags,
    aws_batch,
    aws_budgets,
    aws_iam,
    aws_logs,
    aws_sns,
    aws_sns_subscriptions,
)
from constructs import Construct

from ..options import CostGuardOptions
from ..runtime.guard.settings import COST_ALLOCATION_TAG, GuardSettings
from .runtime_function import runtime_function

GUARD_HANDLER = "runtime.guard.handler.handler"
_BUDGETS = "budgets.amazonaws.com"


class CostGuard(Construct):
    """The budget, the topic it alerts, and the function that stops the pipeline."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: CostGuardOptions,
        job_queue: aws_batch.IJobQueue,
        job_definition: aws_batch.IJobDefinition,
        compute_environment: aws_batch.IComputeEnvironment,
        event_source_mapping_id: str,
        completion_topic: aws_sns.ITopic,
        log_retention: aws_logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tag_value = Names.unique_id(scope)
        """The value of the cost allocation tag on this pipeline's resources."""
        _tag_compute(scope, self.tag_value, job_definition, compute_environment)

        self.alerts = aws_sns.Topic(
            self, "BudgetAlerts", enforce_ssl=True, display_name="Batch pipeline budget"
        )
        """Where AWS Budgets sends the forecast alert; the guard function is subscribed."""
        self.alerts.add_to_resource_policy(
            aws_iam.PolicyStatement(
                principals=[aws_iam.ServicePrincipal(_BUDGETS)],
                actions=["sns:Publish"],
                resources=[self.alerts.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.budget = aws_budgets.CfnBudget(
            self,
            "Budget",
            budget=aws_budgets.CfnBudget.BudgetDataProperty(
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=aws_budgets.CfnBudget.SpendProperty(
                    amount=options.monthly_budget_usd, unit="USD"
                ),
                cost_filters={"TagKeyValue": [f"user:{COST_ALLOCATION_TAG}${self.tag_value}"]},
            ),
            notifications_with_subscribers=[
                aws_budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=aws_budgets.CfnBudget.NotificationProperty(
                        notification_type="FORECASTED",
                        comparison_operator="GREATER_THAN",
                        threshold=options.forecast_threshold_percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        aws_budgets.CfnBudget.SubscriberProperty(
                            subscription_type="SNS", address=self.alerts.topic_arn
                        )
                    ],
                )
            ],
        )
        """The monthly budget of the pipeline's tagged costs, alerting on its forecast."""
        self.budget.node.add_dependency(self.alerts)

        function = runtime_function(
            self,
            handler=GUARD_HANDLER,
            environment=GuardSettings(
                job_queue_arn=job_queue.job_queue_arn,
                event_source_mapping_id=event_source_mapping_id,
                completion_topic_arn=completion_topic.topic_arn,
            ).to_environ(),
            timeout=Duration.seconds(30),
            role_description="Cost guard: pause the arrival event source, disable the job queue, say so.",
            description="Stops the pipeline taking new jobs when its budget forecast is crossed.",
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.function = function.function
        """The function that stops the pipeline."""
        role = function.role
        role.add_to_policy(
            aws_iam.PolicyStatement(
                actions=["batch:UpdateJobQueue"], resources=[job_queue.job_queue_arn]
            )
        )
        role.add_to_policy(
            aws_iam.PolicyStatement(
                actions=["lambda:UpdateEventSourceMapping"],
                resources=[
                    Stack.of(self).format_arn(
                        service="lambda",
                        resource="event-source-mapping",
                        resource_name=event_source_mapping_id,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        completion_topic.grant_publish(role)
        self.alerts.add_subscription(aws_sns_subscriptions.LambdaSubscription(self.function))


def _tag_compute(
    pipeline: Construct,
    value: str,
    job_definition: aws_batch.IJobDefinition,
    compute_environment: aws_batch.IComputeEnvironment,
) -> None:
    Tags.of(pipeline).add(COST_ALLOCATION_TAG, value)
    definition = job_definition.node.default_child
    if definition is not None:
        definition.add_property_override("PropagateTags", True)  # type: ignore[attr-defined]
    environment = compute_environment.node.default_child
    if isinstance(compute_environment, aws_batch.ManagedEc2EcsComputeEnvironment):
        environment.add_property_override(  # type: ignore[union-attr]
            "ComputeResources.Tags", {COST_ALLOCATION_TAG: value}
        )
