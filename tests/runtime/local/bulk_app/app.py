"""A bulk-mode pipeline running the minimal example's container, for the local run's tests.

The batching window is one second (the default is 60) so a local run does not wait a minute,
and few files per child so three files make an array job of at least two children.
"""

from pathlib import Path

import aws_cdk as cdk

from batch_pipeline_construct import BatchFilePipeline, BulkOptions, PackingOptions

CONTAINER = Path(__file__).resolve().parents[4] / "examples" / "minimal" / "container"

app = cdk.App()
stack = cdk.Stack(app, "BulkLocalRun")
BatchFilePipeline(
    stack,
    "Pipeline",
    dockerfile_path=CONTAINER,
    mode=BulkOptions(
        batching_window=cdk.Duration.seconds(1),
        packing=PackingOptions(files_per_child=2, min_children=2),
    ),
)
app.synth()
