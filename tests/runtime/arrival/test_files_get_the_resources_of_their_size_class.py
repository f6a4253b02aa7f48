"""Sizing classes at submission: each file's job gets the vCPUs, memory and GPUs of the first class
whose bound its size does not exceed (bounds inclusive), as SubmitJob's resource overrides on the
wire; in bulk mode each class's files share their own array job and manifest, deduplicated as
before."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import boto3
import pytest

from batch_pipeline_construct.runtime import clients, settings
from batch_pipeline_construct.runtime.arrival.handler import handler
from batch_pipeline_construct.runtime.job.resolver import resolve_contract
from batch_pipeline_construct.runtime.settings import ArrivalSettings
from batch_pipeline_construct.runtime.sizing import SizeClass
from tests.runtime.runtime_pipeline import (
    OUTPUT_BUCKET,
    LambdaContext,
    Pipeline,
    client_error,
    environment,
    inject,
    s3_body,
    s3_record,
    sqs_event,
)
from tests.support import AwsFaults

GIB = 2**30
CLASSES = (
    SizeClass(vcpus=1, memory_mib=2048, up_to_bytes=GIB),
    SizeClass(vcpus=4, memory_mib=16384, up_to_bytes=20 * GIB),
    SizeClass(vcpus=16, memory_mib=65536, gpus=1),
)
SMALL = [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}]
MEDIUM = [{"type": "VCPU", "value": "4"}, {"type": "MEMORY", "value": "16384"}]
LARGE = [
    {"type": "VCPU", "value": "16"},
    {"type": "MEMORY", "value": "65536"},
    {"type": "GPU", "value": "1"},
]
# Just below, at and just above each bound, and the class each size falls in.
SIZES = {
    GIB - 1: 0,
    GIB: 0,
    GIB + 1: 1,
    20 * GIB - 1: 1,
    20 * GIB: 1,
    20 * GIB + 1: 2,
}
EXPECTED = {0: SMALL, 1: MEDIUM, 2: LARGE}


def sized(pipeline: Pipeline) -> AwsFaults:
    """Configure the classes (through the settings' own serialization); record every call."""
    arrival = ArrivalSettings.from_environ(pipeline.environ)
    encoded = dataclasses.replace(arrival, job_sizes=CLASSES).to_environ()[settings.JOB_SIZES]
    pipeline.configure(**{settings.JOB_SIZES: encoded})
    return AwsFaults().install(clients.batch())


def submissions(faults: AwsFaults) -> list[dict[str, Any]]:
    return [call.json() for call in faults.calls if call.name == "batch.SubmitJob"]


def overrides_env(request: dict[str, Any]) -> dict[str, str]:
    return {pair["name"]: pair["value"] for pair in request["containerOverrides"]["environment"]}


def key_of(size: int) -> str:
    return f"in/{size}.bin"


def event_of_every_size() -> dict[str, Any]:
    return sqs_event(*(s3_body(s3_record(key_of(size), size=size)) for size in SIZES))


def test_each_per_file_job_gets_its_class_at_below_and_above_each_bound(
    pipeline: Pipeline,
) -> None:
    faults = sized(pipeline)

    assert handler(event_of_every_size(), LambdaContext()) == {"batchItemFailures": []}

    requests = {overrides_env(r)["INPUT_KEY"]: r for r in submissions(faults)}
    assert {
        key: r["containerOverrides"]["resourceRequirements"] for key, r in requests.items()
    } == {key_of(size): EXPECTED[index] for size, index in SIZES.items()}
    assert {key: r["parameters"]["sizeClass"] for key, r in requests.items()} == {
        key_of(size): f"sizes[{index}]" for size, index in SIZES.items()
    }
    described = {environment(job)["INPUT_KEY"]: job for job in pipeline.jobs()}
    assert {key: job["parameters"]["sizeClass"] for key, job in described.items()} == {
        key_of(size): f"sizes[{index}]" for size, index in SIZES.items()
    }


def test_a_file_of_unknown_size_gets_the_job_definitions_resources(pipeline: Pipeline) -> None:
    faults = sized(pipeline)
    record = s3_record("in/unknown.bin")
    del record["s3"]["object"]["size"]

    handler(sqs_event(s3_body(record)), LambdaContext())

    [request] = submissions(faults)
    assert "resourceRequirements" not in request["containerOverrides"]
    assert "sizeClass" not in request["parameters"]
    assert "INPUT_SIZE" not in overrides_env(request)


def test_without_classes_no_job_overrides_its_resources(pipeline: Pipeline) -> None:
    faults = AwsFaults().install(clients.batch())

    handler(event_of_every_size(), LambdaContext())

    requests = submissions(faults)
    assert len(requests) == len(SIZES)
    assert all("resourceRequirements" not in r["containerOverrides"] for r in requests)


def manifest_files(request: dict[str, Any]) -> list[dict[str, Any]]:
    uri = request["parameters"]["manifestUri"]
    key = uri.removeprefix(f"s3://{OUTPUT_BUCKET}/")
    body = boto3.client("s3").get_object(Bucket=OUTPUT_BUCKET, Key=key)["Body"].read()
    files: list[dict[str, Any]] = json.loads(body)["files"]
    return files


def test_a_mixed_bulk_batch_becomes_one_array_job_per_class(bulk: Pipeline) -> None:
    faults = sized(bulk)

    assert handler(event_of_every_size(), LambdaContext()) == {"batchItemFailures": []}

    by_class = {r["parameters"]["sizeClass"]: r for r in submissions(faults)}
    assert sorted(by_class) == ["sizes[0]", "sizes[1]", "sizes[2]"]
    for index, resources in EXPECTED.items():
        request = by_class[f"sizes[{index}]"]
        assert request["containerOverrides"]["resourceRequirements"] == resources
        assert f"-bulk-sizes-{index}-" in request["jobName"]
    small, medium = by_class["sizes[0]"], by_class["sizes[1]"]
    assert small["arrayProperties"]["size"] == 2
    assert medium["arrayProperties"]["size"] == 3
    assert {(f["key"], f["size"]) for f in manifest_files(small)} == {
        (key_of(GIB - 1), GIB - 1),
        (key_of(GIB), GIB),
    }
    assert {f["key"] for f in manifest_files(medium)} == {
        key_of(GIB + 1),
        key_of(20 * GIB - 1),
        key_of(20 * GIB),
    }
    # The largest class holds one file: a plain job with the contract in its environment.
    large = by_class["sizes[2]"]
    assert "arrayProperties" not in large
    assert overrides_env(large)["INPUT_SIZE"] == str(20 * GIB + 1)


def test_each_child_of_a_class_resolves_its_own_file(bulk: Pipeline) -> None:
    sized(bulk)
    handler(event_of_every_size(), LambdaContext())

    told: dict[str, str] = {}
    for job in bulk.jobs():
        for index in range(job.get("arrayProperties", {}).get("size", 0)):
            child = {**environment(job), "AWS_BATCH_JOB_ARRAY_INDEX": str(index)}
            contract = resolve_contract(child)
            told[contract["INPUT_KEY"]] = contract["INPUT_SIZE"]
    assert told == {key_of(size): str(size) for size, index in SIZES.items() if index < 2}


@pytest.mark.parametrize("mode", ["pipeline", "bulk"])
def test_a_redelivered_mixed_batch_starts_no_second_job(
    mode: str, request: pytest.FixtureRequest
) -> None:
    pipeline: Pipeline = request.getfixturevalue(mode)
    faults = sized(pipeline)
    event = event_of_every_size()
    handler(event, LambdaContext())
    first = len(submissions(faults))

    assert handler(event, LambdaContext()) == {"batchItemFailures": []}

    assert len(submissions(faults)) == first


def test_one_class_refused_returns_only_its_files_messages(bulk: Pipeline) -> None:
    sized(bulk)
    inject(
        clients.batch(),
        "batch.SubmitJob",
        lambda params: (
            client_error("ClientException", 400)
            if params.get("parameters", {}).get("sizeClass") == "sizes[1]"
            else None
        ),
    )
    event = event_of_every_size()
    message_of = {
        json.loads(record["body"])["Records"][0]["s3"]["object"]["size"]: record["messageId"]
        for record in event["Records"]
    }

    result = handler(event, LambdaContext())

    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(
        message_of[size] for size, index in SIZES.items() if index == 1
    )
    assert sorted(job["parameters"]["sizeClass"] for job in bulk.jobs()) == [
        "sizes[0]",
        "sizes[2]",
    ]
