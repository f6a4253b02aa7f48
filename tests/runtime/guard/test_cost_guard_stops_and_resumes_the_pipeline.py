"""The cost guard against moto: the budget's alert pauses the arrival event source and disables
the job queue, files wait in the arrival queue, and resume undoes both; the topic says so."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.arrival.handler import handler as arrival_handler
from batch_pipeline_construct.runtime.guard import handler as guard_handler
from batch_pipeline_construct.runtime.guard.settings import GuardSettings
from batch_pipeline_construct.runtime.guard.switch import resume_pipeline
from tests.runtime.runtime_pipeline import (
    LambdaContext,
    Pipeline,
    client_error,
    first_calls_fail,
    inject,
    s3_body,
    s3_record,
    sqs_event,
)


class Guarded:
    """A pipeline in moto with an arrival function, its event source and a subscribed topic."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        sqs = boto3.client("sqs")
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=pipeline.arrival_queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        role = boto3.client("iam").create_role(RoleName="arrival", AssumeRolePolicyDocument="{}")
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
        lambda_client = boto3.client("lambda")
        lambda_client.create_function(
            FunctionName="arrival",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="index.handler",
            Code={"ZipFile": code.getvalue()},
        )
        self.mapping_id = lambda_client.create_event_source_mapping(
            EventSourceArn=queue_arn, FunctionName="arrival", BatchSize=10
        )["UUID"]
        sns = boto3.client("sns")
        topic_arn = sns.create_topic(Name="completion")["TopicArn"]
        self.subscriber_url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        subscriber_arn = sqs.get_queue_attributes(
            QueueUrl=self.subscriber_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=subscriber_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        self.settings = GuardSettings(
            job_queue_arn=pipeline.job_queue_arn,
            event_source_mapping_id=self.mapping_id,
            completion_topic_arn=topic_arn,
        )

    def queue_state(self) -> str:
        [queue] = boto3.client("batch").describe_job_queues(
            jobQueues=[self.pipeline.job_queue_arn]
        )["jobQueues"]
        return queue["state"]

    def event_source_state(self) -> str:
        mapping = boto3.client("lambda").get_event_source_mapping(UUID=self.mapping_id)
        return mapping["State"]

    def messages(self) -> list[dict[str, Any]]:
        received = boto3.client("sqs").receive_message(
            QueueUrl=self.subscriber_url, MaxNumberOfMessages=10
        )
        return [json.loads(message["Body"]) for message in received.get("Messages", [])]


@pytest.fixture
def guarded(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Guarded:
    result = Guarded(pipeline)
    for name, value in result.settings.to_environ().items():
        monkeypatch.setenv(name, value)
    return result


def _budget_alert(text: str) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": text}}]}


def test_a_budget_alert_stops_new_jobs_and_files_wait_in_the_arrival_queue(
    guarded: Guarded,
) -> None:
    assert (guarded.queue_state(), guarded.event_source_state()) == ("ENABLED", "Enabled")

    guard_handler.handler(_budget_alert("AWS Budget Notification: forecast 120%"), None)

    assert (guarded.queue_state(), guarded.event_source_state()) == ("DISABLED", "Disabled")
    [message] = guarded.messages()
    assert message == {
        "kind": "cost-guard",
        "action": "stopped",
        "jobQueue": guarded.pipeline.job_queue_arn,
        "reason": "AWS Budget Notification: forecast 120%",
    }
    # A file that arrives now waits: nothing receives it, so it is never dead-lettered.
    guarded.pipeline.send(s3_body(s3_record("late.csv")))
    assert len(guarded.pipeline.queued()) == 1
    assert not guarded.pipeline.dead_letters()


def test_resume_enables_the_queue_and_the_event_source_again(guarded: Guarded) -> None:
    guard_handler.handler(_budget_alert("forecast exceeded"), None)
    guarded.messages()

    resume_pipeline(guarded.settings, "budget raised")

    assert (guarded.queue_state(), guarded.event_source_state()) == ("ENABLED", "Enabled")
    [message] = guarded.messages()
    assert (message["kind"], message["action"], message["reason"]) == (
        "cost-guard",
        "resumed",
        "budget raised",
    )


def test_the_guards_settings_cross_the_boundary_unchanged(guarded: Guarded) -> None:
    assert GuardSettings.from_environ(guarded.settings.to_environ()) == guarded.settings


def test_an_invocation_caught_by_the_stop_returns_its_file_to_the_queue_not_the_dead_letters(
    guarded: Guarded,
) -> None:
    # Batch refuses new jobs on a DISABLED queue; moto does not model that, so the refusal is
    # injected on the wire, as AWS answers it.
    calls = inject(
        clients.batch(),
        "batch.SubmitJob",
        first_calls_fail(1, lambda: client_error("ClientException", 400)),
    )
    event = sqs_event(s3_body(s3_record("caught.csv", version_id="v1")))

    caught = arrival_handler(event, LambdaContext())
    redelivered = arrival_handler(event, LambdaContext())

    assert caught == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert not guarded.pipeline.dead_letters()
    assert redelivered == {"batchItemFailures": []}
    assert len(calls) == 2 and len(guarded.pipeline.jobs()) == 1
