"""The minimal example: a Fargate pipeline built from ./container, with nothing but the Dockerfile path."""

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from batch_pipeline_construct import BatchFilePipeline

CONTAINER = Path(__file__).parent / "container"
"""The job's build context, found from this file so the app synthesizes from any directory."""


class MinimalPipelineStack(cdk.Stack):
    """One BatchFilePipeline with every default: Fargate, per-file jobs, new buckets and VPC."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        pipeline = BatchFilePipeline(self, "Pipeline", dockerfile_path=CONTAINER)
        cdk.CfnOutput(self, "InputBucket", value=pipeline.input_bucket.bucket_name)
        cdk.CfnOutput(self, "OutputBucket", value=pipeline.output_bucket.bucket_name)
        cdk.CfnOutput(self, "CompletionTopic", value=pipeline.completion_topic.topic_arn)


def build_app(outdir: str | None = None) -> cdk.App:
    """The example's CDK app (tests build it in-process)."""
    app = cdk.App(outdir=outdir)
    MinimalPipelineStack(app, "MinimalBatchPipeline")
    return app


if __name__ == "__main__":
    build_app().synth()
