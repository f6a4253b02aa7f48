"""Integration test: the deployed minimal example turns an uploaded file into ``summary.json``.

It deploys the minimal example's stack (``MinimalPipelineStack`` from ``examples/minimal/app.py``)
and a small observer stack whose SQS queue subscribes to the pipeline's completion topic. The
assertions then upload ``integ/hello world.txt`` to the input bucket and wait, up to 30 minutes
each (a cold compute environment takes a few), for

* ``integ/hello world.txt/summary.json`` in the output bucket, with the summary of that file, and
* a completion message with status ``SUCCEEDED`` for that file on the observer's queue.

It also uploads ``integ/vanishes.txt`` and deletes it at once (a delete marker in the versioned
input bucket), so that file's job cannot read it, exits non-zero and FAILED. It then waits for

* that job's completion message, in the documented shape: ``"kind": "job"``, ``"jobType":
  "file"``, ``"status": "FAILED"``, its ``inputUri``, a ``statusReason``, ``"exitCode": 1``
  and a ``time``, and
* the failed-jobs alarm's notification (CloudWatch's own format, ``AlarmName`` and
  ``"NewStateValue": "ALARM"``) on the same topic, which proves the topic policy lets CloudWatch
  publish.

Run it with an AWS account: credentials in the environment, the account and region bootstrapped
(``cdk bootstrap``) and a Docker engine to build the job image. From the repository root::

    ./scripts/bootstrap && source scripts/env.sh
    npx --package @aws-cdk/integ-runner integ-runner --directory integ --language python \\
        --update-on-failed --disable-update-workflow

(``npx integ-runner --directory integ`` where ``@aws-cdk/integ-runner`` is installed.) The first
run writes the snapshot ``integ_minimal_pipeline.py.snapshot/``; later runs compare against it
and deploy again only with ``--update-on-failed``. integ-runner destroys the stacks afterwards,
but the construct's default removal policy RETAINs the pipeline's buckets, log groups and table:
delete them by hand (their names are in the stack outputs).

Without an account, ``tests/integ`` synthesizes this app and snapshot-tests its templates.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk.integ_tests_alpha import ExpectedResult, IApiCall, IntegTest, Match
from constructs import Construct

from batch_pipeline_construct import BatchFilePipeline
from batch_pipeline_construct.runtime.job.contract import output_prefix

MINIMAL_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "minimal"
PIPELINE_STACK = "MinimalBatchPipelineInteg"
OBSERVER_STACK = "MinimalBatchPipelineIntegObserver"
INPUT_KEY = "integ/hello world.txt"
"""A key with a space: the job must get it decoded, as the user wrote it."""
INPUT_BODY = "hello from the integration test\nhello again\n"
SUMMARY_KEY = output_prefix(INPUT_KEY) + "summary.json"
VANISHING_KEY = "integ/vanishes.txt"
"""Uploaded and deleted at once: its job finds no object and FAILED."""
WAIT = {"total_timeout": Duration.minutes(30), "interval": Duration.minutes(1)}


def _minimal_example() -> ModuleType:
    """examples/minimal/app.py, imported by path (it is an app, not a package)."""
    spec = importlib.util.spec_from_file_location("minimal_example_app", MINIMAL_EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class CompletionObserverStack(cdk.Stack):
    """An SQS queue subscribed to the completion topic, so the test can read what it publishes."""

    def __init__(
        self, scope: Construct, construct_id: str, *, topic: sns.ITopic, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.queue = sqs.Queue(
            self, "Completions", enforce_ssl=True, retention_period=Duration.hours(2)
        )
        """Receives each completion message as published (raw delivery: no SNS envelope)."""
        topic.add_subscription(subscriptions.SqsSubscription(self.queue, raw_message_delivery=True))


def _observed_message(
    integ: IntegTest, observer: CompletionObserverStack, wait_seconds: int, body: Any
) -> IApiCall:
    """A receive from the observer's queue, expected to hold a message whose JSON body is ``body``.

    Received messages stay visible (``VisibilityTimeout`` 0), so no receive hides a message from
    another. integ-tests names an API call after its parameters: each receive here needs its own
    ``wait_seconds``.
    """
    receive = integ.assertions.aws_api_call(
        "SQS",
        "receiveMessage",
        {
            "QueueUrl": observer.queue.queue_url,
            "MaxNumberOfMessages": 10,
            "WaitTimeSeconds": wait_seconds,
            "VisibilityTimeout": 0,
        },
    )
    receive.expect(
        ExpectedResult.object_like(
            {
                "Messages": Match.array_with(
                    [Match.object_like({"Body": Match.serialized_json(body)})]
                )
            }
        )
    )
    return receive


def build_app(outdir: str | None = None) -> cdk.App:
    """The integration test's app (``tests/integ`` builds it in-process)."""
    app = cdk.App(outdir=outdir)
    # The example names its Dockerfile folder relative to the directory `cdk synth` runs in.
    with contextlib.chdir(MINIMAL_EXAMPLE):
        pipeline_stack = _minimal_example().MinimalPipelineStack(app, PIPELINE_STACK)
    pipeline = pipeline_stack.node.find_child("Pipeline")
    assert isinstance(pipeline, BatchFilePipeline)
    observer = CompletionObserverStack(app, OBSERVER_STACK, topic=pipeline.completion_topic)

    integ = IntegTest(app, "MinimalPipelineInteg", test_cases=[pipeline_stack, observer])
    input_uri = cdk.Fn.join("", ["s3://", pipeline.input_bucket.bucket_name, "/", INPUT_KEY])

    upload = integ.assertions.aws_api_call(
        "S3",
        "putObject",
        {"Bucket": pipeline.input_bucket.bucket_name, "Key": INPUT_KEY, "Body": INPUT_BODY},
    )
    summary = integ.assertions.aws_api_call(
        "S3", "getObject", {"Bucket": pipeline.output_bucket.bucket_name, "Key": SUMMARY_KEY}
    )
    summary.expect(
        ExpectedResult.object_like(
            {
                "ContentType": "application/json",
                "Body": Match.serialized_json(
                    Match.object_like(
                        {"input": input_uri, "bytes": len(INPUT_BODY.encode()), "lines": 2}
                    )
                ),
            }
        )
    )
    completion = integ.assertions.aws_api_call(
        "SQS",
        "receiveMessage",
        {"QueueUrl": observer.queue.queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 20},
    )
    completion.expect(
        ExpectedResult.object_like(
            {
                "Messages": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Body": Match.serialized_json(
                                    Match.object_like(
                                        {"status": "SUCCEEDED", "inputUri": input_uri}
                                    )
                                )
                            }
                        )
                    ]
                )
            }
        )
    )
    bucket = pipeline.input_bucket.bucket_name
    vanishing_uri = cdk.Fn.join("", ["s3://", bucket, "/", VANISHING_KEY])
    upload_vanishing = integ.assertions.aws_api_call(
        "S3", "putObject", {"Bucket": bucket, "Key": VANISHING_KEY, "Body": INPUT_BODY}
    )
    delete_vanishing = integ.assertions.aws_api_call(
        "S3", "deleteObject", {"Bucket": bucket, "Key": VANISHING_KEY}
    )
    failed = _observed_message(
        integ,
        observer,
        19,
        Match.object_like(
            {
                "kind": "job",
                "jobType": "file",
                "status": "FAILED",
                "inputUri": vanishing_uri,
                "statusReason": Match.string_like_regexp(".+"),
                # The job's Python dies on the missing object: an uncaught exception exits 1.
                "exitCode": 1,
                "time": Match.string_like_regexp("^[0-9]{4}-"),
            }
        ),
    )
    alarm = _observed_message(
        integ,
        observer,
        18,
        Match.object_like(
            {"AlarmName": Match.string_like_regexp("FailedJobs"), "NewStateValue": "ALARM"}
        ),
    )
    (
        upload.next(upload_vanishing)
        .next(delete_vanishing)
        .next(summary.wait_for_assertions(**WAIT))
        .next(completion.wait_for_assertions(**WAIT))
        .next(failed.wait_for_assertions(**WAIT))
        .next(alarm.wait_for_assertions(**WAIT))
    )
    return app


if __name__ == "__main__":
    build_app().synth()
