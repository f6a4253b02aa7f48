"""The minimal example's resources written by hand with aws-cdk-lib L2 constructs (no BatchFilePipeline).

The synth benchmark times this app against ``examples/minimal`` to show what the construct's
own Python (validation, grants, helpers) adds on top of aws-cdk-lib. It builds the same
resources: three buckets, the arrival queue and its dead-letter queue, the completion
dead-letter queue, the idempotency table, three log groups, the arrival function with its
event source and S3 notification, a two-AZ public VPC with an S3 gateway endpoint and flow logs,
the Fargate compute environment, job queue and job definition (image built from the example's
Dockerfile), the completion rule and topic, and four alarms. It is a benchmark fixture, not an
example to copy: the construct's documentation is the reference.

Run it as a CDK app (``CDK_OUTDIR`` chooses where the assembly goes)::

    python -m benchmarks.handwritten_stack
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import (
    Duration,
    RemovalPolicy,
    aws_batch,
    aws_cloudwatch,
    aws_cloudwatch_actions,
    aws_dynamodb,
    aws_ec2,
    aws_ecr_assets,
    aws_ecs,
    aws_events,
    aws_events_targets,
    aws_iam,
    aws_lambda,
    aws_lambda_event_sources,
    aws_logs,
    aws_s3,
    aws_s3_notifications,
    aws_sns,
    aws_sqs,
)
from constructs import Construct

ROOT = Path(__file__).resolve().parent.parent
CONTAINER = ROOT / "examples" / "minimal" / "container"
PACKAGE = ROOT / "src" / "batch_pipeline_construct"


class HandwrittenPipelineStack(cdk.Stack):
    """The minimal example's pipeline, one L2 construct at a time."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        retain = RemovalPolicy.RETAIN
        retention = aws_logs.RetentionDays.THREE_MONTHS
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)

        logs_bucket = aws_s3.Bucket(
            self,
            "AccessLogs",
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[aws_s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=retain,
        )
        input_bucket, output_bucket = (
            aws_s3.Bucket(
                self,
                name,
                encryption=aws_s3.BucketEncryption.S3_MANAGED,
                block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                versioned=versioned,
                server_access_logs_bucket=logs_bucket,
                server_access_logs_prefix=f"{name.lower()}/",
                removal_policy=retain,
            )
            for name, versioned in (("Input", True), ("Output", False))
        )

        flow_logs = aws_logs.LogGroup(
            self, "VpcFlowLogs", retention=retention, removal_policy=retain
        )
        vpc = aws_ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                aws_ec2.SubnetConfiguration(
                    name="jobs", subnet_type=aws_ec2.SubnetType.PUBLIC, cidr_mask=20
                )
            ],
            gateway_endpoints={
                "S3": aws_ec2.GatewayVpcEndpointOptions(
                    service=aws_ec2.GatewayVpcEndpointAwsService.S3
                )
            },
            flow_logs={
                "FlowLogs": aws_ec2.FlowLogOptions(
                    destination=aws_ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs)
                )
            },
        )
        environment = aws_batch.FargateComputeEnvironment(
            self,
            "ComputeEnvironment",
            vpc=vpc,
            vpc_subnets=aws_ec2.SubnetSelection(subnet_type=aws_ec2.SubnetType.PUBLIC),
            maxv_cpus=256,
            replace_compute_environment=True,
        )
        job_queue = aws_batch.JobQueue(
            self,
            "JobQueue",
            compute_environments=[
                aws_batch.OrderedComputeEnvironment(compute_environment=environment, order=1)
            ],
        )
        job_logs = aws_logs.LogGroup(self, "JobLogs", retention=retention, removal_policy=retain)
        job_role = aws_iam.Role(
            self, "JobRole", assumed_by=aws_iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        )
        execution_role = aws_iam.Role(
            self, "ExecutionRole", assumed_by=aws_iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        )
        job_definition = aws_batch.EcsJobDefinition(
            self,
            "JobDefinition",
            container=aws_batch.EcsFargateContainerDefinition(
                self,
                "Container",
                image=aws_ecs.ContainerImage.from_asset(
                    str(CONTAINER), platform=aws_ecr_assets.Platform.LINUX_AMD64
                ),
                cpu=1,
                memory=cdk.Size.gibibytes(2),
                job_role=job_role,
                execution_role=execution_role,
                assign_public_ip=True,
                logging=aws_ecs.LogDriver.aws_logs(stream_prefix="job", log_group=job_logs),
            ),
            retry_attempts=3,
            timeout=Duration.hours(1),
            propagate_tags=True,
        )
        input_bucket.grant_read(job_role, "*")
        output_bucket.grant_put(job_role, "*")

        dead_letters = aws_sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        queue = aws_sqs.Queue(
            self,
            "Queue",
            encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            visibility_timeout=Duration.minutes(6),
            dead_letter_queue=aws_sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=5),
        )
        table = aws_dynamodb.TableV2(
            self,
            "Submissions",
            partition_key=aws_dynamodb.Attribute(name="pk", type=aws_dynamodb.AttributeType.STRING),
            time_to_live_attribute="expires_at",
            billing=aws_dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=aws_dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=retain,
        )
        function_logs = aws_logs.LogGroup(
            self, "FunctionLogs", retention=retention, removal_policy=retain
        )
        function = aws_lambda.Function(
            self,
            "Function",
            runtime=aws_lambda.Runtime.PYTHON_3_14,
            architecture=aws_lambda.Architecture.ARM_64,
            handler="runtime.arrival.handler.handler",
            code=aws_lambda.Code.from_asset(
                str(PACKAGE), exclude=["*", "!runtime", "!runtime/**", "**/__pycache__"]
            ),
            memory_size=256,
            timeout=Duration.minutes(1),
            log_group=function_logs,
            environment={
                "BPC_JOB_QUEUE_ARN": job_queue.job_queue_arn,
                "BPC_JOB_DEFINITION_NAME": job_definition.job_definition_name,
                "BPC_INPUT_BUCKET": input_bucket.bucket_name,
                "BPC_OUTPUT_BUCKET": output_bucket.bucket_name,
                "BPC_FILE_RECORDS_TABLE": table.table_name,
                "BPC_DEAD_LETTER_QUEUE_URL": dead_letters.queue_url,
                "BPC_ARRIVAL_QUEUE_URL": queue.queue_url,
            },
        )
        function.add_event_source(
            aws_lambda_event_sources.SqsEventSource(
                queue, batch_size=10, max_concurrency=5, report_batch_item_failures=True
            )
        )
        job_definition.grant_submit_job(function.role, job_queue)
        dead_letters.grant_send_messages(function)
        table.grant_read_write_data(function)
        input_bucket.add_event_notification(
            aws_s3.EventType.OBJECT_CREATED, aws_s3_notifications.SqsDestination(queue)
        )

        topic = aws_sns.Topic(self, "CompletionTopic", enforce_ssl=True)
        completion_dead_letters = aws_sqs.Queue(
            self,
            "CompletionDeadLetterQueue",
            encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )

        def finished(statuses: list[str]) -> aws_events.EventPattern:
            return aws_events.EventPattern(
                source=["aws.batch"],
                detail_type=["Batch Job State Change"],
                detail={"jobQueue": [job_queue.job_queue_arn], "status": statuses},
            )

        aws_events.Rule(
            self,
            "CompletionRule",
            event_pattern=finished(["SUCCEEDED", "FAILED"]),
            targets=[aws_events_targets.SnsTopic(topic, dead_letter_queue=completion_dead_letters)],
        )
        failed_rule = aws_events.Rule(self, "FailedJobsRule", event_pattern=finished(["FAILED"]))
        period = Duration.minutes(5)
        metrics = {
            "ArrivalDeadLetters": dead_letters.metric_approximate_number_of_messages_visible(
                period=period, statistic="Maximum"
            ),
            "CompletionDeadLetters": completion_dead_letters.metric_approximate_number_of_messages_visible(
                period=period, statistic="Maximum"
            ),
            "ArrivalErrors": function.metric_errors(period=period, statistic="Sum"),
            "FailedJobs": aws_cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="MatchedEvents",
                dimensions_map={"RuleName": failed_rule.rule_name},
                period=period,
                statistic="Sum",
            ),
        }
        for name, metric in metrics.items():
            metric.create_alarm(
                self,
                f"{name}Alarm",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            ).add_alarm_action(aws_cloudwatch_actions.SnsAction(topic))


def build_app() -> cdk.App:
    """The app: one stack."""
    app = cdk.App()
    HandwrittenPipelineStack(app, "HandwrittenBatchPipeline")
    return app


if __name__ == "__main__":
    build_app().synth()
