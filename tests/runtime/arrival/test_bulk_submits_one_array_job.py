"""Bulk mode: the batch and the messages topped up from the queue become one manifest and one
array job; each child resolves its own file's contract; a single file is a plain job."""

from __future__ import annotations

import json

import boto3

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.arrival.handler import handler
from batch_pipeline_construct.runtime.job.resolver import resolve_contract
from tests.runtime.runtime_pipeline import (
    INPUT_BUCKET,
    OUTPUT_BUCKET,
    LambdaContext,
    Pipeline,
    client_error,
    environment,
    inject,
    reason,
    s3_body,
    s3_record,
    sqs_event,
)


def manifests() -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=OUTPUT_BUCKET, Prefix="_manifests/")
    return [item["Key"] for item in listing.get("Contents", [])]


def test_a_batch_and_its_top_up_become_one_array_job(bulk: Pipeline) -> None:
    event = sqs_event(*(s3_body(s3_record(f"batch/{n}.csv", version_id="v1")) for n in range(3)))
    for n in range(12):
        bulk.send(s3_body(s3_record(f"queued/{n} file.csv", version_id="v1")))
    bulk.send(s3_body(s3_record("batch/0.csv", version_id="v1")))  # a duplicate delivery
    bulk.send("poison")

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    [job] = bulk.jobs()
    assert job["arrayProperties"]["size"] == 15
    [manifest_key] = manifests()
    uri = f"s3://{OUTPUT_BUCKET}/{manifest_key}"
    assert environment(job)["MANIFEST_URI"] == uri
    assert environment(job)["OUTPUT_BUCKET"] == OUTPUT_BUCKET
    assert job["parameters"]["manifestUri"] == uri
    assert job["parameters"]["count"] == "15"
    body = boto3.client("s3").get_object(Bucket=OUTPUT_BUCKET, Key=manifest_key)["Body"].read()
    files = json.loads(body)["files"]
    keys = [entry["key"] for entry in files]
    # The invocation's own records first; topped-up messages in whatever order SQS returned them.
    assert keys[:3] == [f"batch/{n}.csv" for n in range(3)]
    assert sorted(keys[3:]) == sorted(f"queued/{n} file.csv" for n in range(12))
    assert files[keys.index("queued/0 file.csv")] == {
        "bucket": INPUT_BUCKET,
        "key": "queued/0 file.csv",
        "versionId": "v1",
        "outputPrefix": "results/queued/0 file.csv/",
        "size": 1024,
    }
    assert bulk.queued() == []
    assert [reason(m) for m in bulk.dead_letters()] == ["body-not-json"]


def test_each_child_resolves_its_entry_of_the_manifest(bulk: Pipeline) -> None:
    event = sqs_event(*(s3_body(s3_record(f"in/caf\u00e9 {n}.csv")) for n in range(4)))
    handler(event, LambdaContext())
    [job] = bulk.jobs()
    job_env = environment(job)

    for index in range(4):
        contract = resolve_contract({**job_env, "AWS_BATCH_JOB_ARRAY_INDEX": str(index)})
        key = f"in/caf\u00e9 {index}.csv"
        assert contract["INPUT_KEY"] == contract["S3_INPUT_OBJECT"] == key
        assert contract["INPUT_URI"] == f"s3://{INPUT_BUCKET}/{key}"
        assert contract["OUTPUT_PREFIX"] == f"results/{key}/"
        assert contract["OUTPUT_URI"] == f"s3://{OUTPUT_BUCKET}/results/{key}/"


def test_a_single_file_is_a_plain_job(bulk: Pipeline) -> None:
    handler(sqs_event(s3_body(s3_record("alone.csv"))), LambdaContext())

    [job] = bulk.jobs()
    assert "arrayProperties" not in job
    assert environment(job)["INPUT_KEY"] == "alone.csv"
    assert "MANIFEST_URI" not in environment(job)
    assert manifests() == []


def test_the_top_up_stops_at_the_maximum(bulk: Pipeline) -> None:
    bulk.configure(**{settings.BULK_MAX_FILES: "5"})
    for n in range(10):
        bulk.send(s3_body(s3_record(f"q/{n}.csv")))

    handler(sqs_event(*(s3_body(s3_record(f"e/{n}.csv")) for n in range(3))), LambdaContext())

    [job] = bulk.jobs()
    assert job["arrayProperties"]["size"] == 5
    assert len(bulk.queued()) == 8


def test_a_nearly_empty_queue_costs_one_receive(bulk: Pipeline) -> None:
    receives = inject(clients.sqs(), "sqs.ReceiveMessage", lambda _: None)
    for n in range(3):
        bulk.send(s3_body(s3_record(f"q/{n}.csv")))

    handler(
        sqs_event(s3_body(s3_record("e/0.csv")), s3_body(s3_record("e/1.csv"))), LambdaContext()
    )

    [job] = bulk.jobs()
    assert job["parameters"]["count"] == "5"
    assert len(receives) == 2  # one short answer, then one empty


def test_the_top_up_doubles_its_receives_while_they_come_back_full(bulk: Pipeline) -> None:
    bulk.configure(**{settings.BULK_MAX_FILES: "1000"})
    receives = inject(clients.sqs(), "sqs.ReceiveMessage", lambda _: None)
    for n in range(100):
        bulk.send(s3_body(s3_record(f"q/{n}.csv")))

    handler(sqs_event(s3_body(s3_record("e/0.csv"))), LambdaContext())

    [job] = bulk.jobs()
    assert job["parameters"]["count"] == "101"
    # Rounds of 1, 2, 4 and 8 calls while they come back full, then at most 6 (three came back
    # full) that find the queue empty; 32 calls a round would take 64.
    assert len(receives) <= 1 + 2 + 4 + 8 + 6
    assert bulk.queued() == []


def test_files_already_submitted_are_left_out(bulk: Pipeline) -> None:
    body = s3_body(s3_record("seen.csv", version_id="v1"))
    handler(sqs_event(body), LambdaContext())

    handler(
        sqs_event(body, s3_body(s3_record("new.csv")), s3_body(s3_record("new2.csv"))),
        LambdaContext(),
    )

    sizes = sorted(job.get("arrayProperties", {}).get("size", 1) for job in bulk.jobs())
    assert sizes == [1, 2]


def test_a_failed_array_submission_returns_every_file(bulk: Pipeline) -> None:
    inject(clients.batch(), "batch.SubmitJob", lambda _: client_error("ClientException", 400))
    for n in range(4):
        bulk.send(s3_body(s3_record(f"q/{n}.csv")))
    event = sqs_event(s3_body(s3_record("e/0.csv")), s3_body(s3_record("e/1.csv")))

    result = handler(event, LambdaContext())

    failed = sorted(item["itemIdentifier"] for item in result["batchItemFailures"])
    assert failed == sorted(record["messageId"] for record in event["Records"])
    assert len(bulk.queued()) == 4
    assert boto3.client("dynamodb").scan(TableName=bulk.table)["Items"] == []
    assert bulk.jobs() == []
