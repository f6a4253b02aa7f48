"""A pipeline whose jobs read shared data, for the local run's test: each job prefixes its
input with the reference file it finds in ``SHARED_DATA_DIR``."""

from pathlib import Path

import aws_cdk as cdk

from batch_pipeline_construct import BatchFilePipeline, SharedDataOptions

CONTAINER = Path(__file__).resolve().parent / "container"

app = cdk.App()
stack = cdk.Stack(app, "SharedDataLocalRun")
BatchFilePipeline(
    stack,
    "Pipeline",
    dockerfile_path=CONTAINER,
    shared_data=SharedDataOptions(mount_path="/reference"),
)
app.synth()
