"""GPU jobs on EC2 Spot: each CSV dataset that lands under ``datasets/`` is analysed on a g5 GPU.

Synthesize with ``cdk synth`` (per-file jobs) or ``cdk synth -c bulk=true`` (bulk mode: files that
arrive together run as one array job, one child per file, on the same image).
"""

import aws_cdk as cdk
from aws_cdk import Duration, Size
from constructs import Construct

from batch_pipeline_construct import (
    BatchFilePipeline,
    BulkOptions,
    ComputeOptions,
    ComputeType,
    JobOptions,
    NotificationOptions,
    PackingOptions,
    TriggerOptions,
)

GPU_INSTANCE_TYPES = ("g5.xlarge", "g5.2xlarge")
"""One NVIDIA A10G each; Spot picks whichever of the two has capacity at the lowest price."""

NOTIFICATION_EMAIL = "ml-team@example.com"
"""Who hears about every finished job (AWS asks the address to confirm). Put yours here."""


class GpuSpotPipelineStack(cdk.Stack):
    """A pipeline whose jobs each get one GPU, 4 vCPUs and 15 GiB on g5 Spot instances."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bulk: bool = False, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        pipeline = BatchFilePipeline(
            self,
            "Pipeline",
            dockerfile_path="container",
            compute=ComputeOptions(
                type=ComputeType.EC2,
                spot=True,
                instance_types=GPU_INSTANCE_TYPES,
                # 16 jobs at once at most; the environment still scales to zero when idle.
                max_vcpus=64,
            ),
            job=JobOptions(
                vcpus=4,
                # g5.xlarge has 16 GiB, of which ECS keeps some for itself: 15 GiB still fits.
                memory=Size.gibibytes(15),
                gpus=1,
                timeout=Duration.hours(6),
                # Spot reclaims are retried (the construct retries infrastructure failures only).
                retry_attempts=5,
                # The job fails rather than quietly running on a host without a GPU.
                environment={"REQUIRE_GPU": "true"},
            ),
            trigger=TriggerOptions(prefix="datasets/", suffixes=(".csv", ".csv.gz")),
            # Each container works through at most about 5 minutes of datasets, one at a time on its GPU.
            mode=BulkOptions(
                max_files_per_job=1000,
                batching_window=Duration.minutes(2),
                packing=PackingOptions(expected_time_per_file=Duration.seconds(20)),
            )
            if bulk
            else None,
            notifications=NotificationOptions(emails=[NOTIFICATION_EMAIL]),
        )
        cdk.CfnOutput(self, "InputBucket", value=pipeline.input_bucket.bucket_name)
        cdk.CfnOutput(self, "OutputBucket", value=pipeline.output_bucket.bucket_name)
        cdk.CfnOutput(self, "JobQueue", value=pipeline.job_queue.job_queue_name)


def build_app(outdir: str | None = None, *, bulk: bool | None = None) -> cdk.App:
    """The example's CDK app (tests build it in-process). ``bulk`` defaults to context ``bulk``."""
    app = cdk.App(outdir=outdir)
    if bulk is None:
        bulk = str(app.node.try_get_context("bulk")).lower() == "true"
    GpuSpotPipelineStack(app, "GpuSpotBatchPipeline", bulk=bulk)
    return app


if __name__ == "__main__":
    build_app().synth()
