"""Files larger than the job's disk: each file is gzipped by a Fargate job that streams it.

Fargate gives every job 20 GiB of disk at no charge (``JobOptions(ephemeral_storage=...)`` buys
up to 200 GiB), and files do not wait for that: a 100 GiB sequencing run or video arrives all the
same. The job in ``container/`` reads the job contract's ``INPUT_SIZE`` and streams a file that
does not fit its scratch directory from S3 through gzip into a multipart upload, never writing it
to disk, so the smallest job serves every file. ``batch-pipeline local examples/large_files
FILES --disk-mib 8`` shows it on this machine with an 8 MiB disk.
"""

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Duration, Size
from constructs import Construct

from batch_pipeline_construct import BatchFilePipeline, JobOptions

CONTAINER = Path(__file__).parent / "container"
"""The job's build context, found from this file so the app synthesizes from any directory."""


class LargeFilesPipelineStack(cdk.Stack):
    """A Fargate pipeline whose 1 vCPU / 2 GiB jobs compress files of any size."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        pipeline = BatchFilePipeline(
            self,
            "Pipeline",
            dockerfile_path=CONTAINER,
            job=JobOptions(
                vcpus=1,
                memory=Size.gibibytes(2),
                # Time to read, compress and upload the largest file expected, with room to spare.
                timeout=Duration.hours(3),
            ),
        )
        cdk.CfnOutput(self, "InputBucket", value=pipeline.input_bucket.bucket_name)
        cdk.CfnOutput(self, "OutputBucket", value=pipeline.output_bucket.bucket_name)


def build_app(outdir: str | None = None) -> cdk.App:
    """The example's CDK app (tests build it in-process)."""
    app = cdk.App(outdir=outdir)
    LargeFilesPipelineStack(app, "LargeFilesBatchPipeline")
    return app


if __name__ == "__main__":
    build_app().synth()
