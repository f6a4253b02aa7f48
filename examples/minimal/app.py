"""The minimal example: a Fargate pipeline built from ./container, with nothing but the Dockerfile path.

``cdk deploy`` runs one job per file (per-file mode, every default); ``cdk deploy -c bulk=true``
shows the other mode: files arriving together become array jobs whose containers each work
through a few minutes of files (packing), the same container serving both.
"""

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from batch_pipeline_construct import BatchFilePipeline, BulkOptions, PackingOptions

CONTAINER = Path(__file__).parent / "container"
"""The job's build context, found from this file so the app synthesizes from any directory."""


class MinimalPipelineStack(cdk.Stack):
    """One BatchFilePipeline with every default: Fargate, per-file jobs, new buckets and VPC."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bulk: bool = False, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        pipeline = BatchFilePipeline(
            self,
            "Pipeline",
            dockerfile_path=CONTAINER,
            # The example job summarizes a file in about two seconds: at most 150 files per container.
            mode=BulkOptions(packing=PackingOptions(expected_time_per_file=cdk.Duration.seconds(2)))
            if bulk
            else None,
        )
        cdk.CfnOutput(self, "InputBucket", value=pipeline.input_bucket.bucket_name)
        cdk.CfnOutput(self, "OutputBucket", value=pipeline.output_bucket.bucket_name)
        cdk.CfnOutput(self, "CompletionTopic", value=pipeline.completion_topic.topic_arn)


def build_app(outdir: str | None = None, *, bulk: bool | None = None) -> cdk.App:
    """The example's CDK app (tests build it in-process). ``bulk`` defaults to context ``bulk``."""
    app = cdk.App(outdir=outdir)
    if bulk is None:
        bulk = str(app.node.try_get_context("bulk")).lower() == "true"
    MinimalPipelineStack(app, "MinimalBatchPipeline", bulk=bulk)
    return app


if __name__ == "__main__":
    build_app().synth()
