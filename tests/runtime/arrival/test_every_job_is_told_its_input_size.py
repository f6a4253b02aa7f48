"""``INPUT_SIZE``: every job learns its input object's size from the S3 event, a per-file job in
its environment and parameters, each file of a bulk array job through its manifest entry."""

from __future__ import annotations

from batch_pipeline_construct.runtime.arrival.handler import handler
from batch_pipeline_construct.runtime.job.resolver import resolve_contract
from tests.runtime.runtime_pipeline import (
    LambdaContext,
    Pipeline,
    environment,
    s3_body,
    s3_record,
    sqs_event,
)

FIVE_GB = 5_000_000_000


def test_a_per_file_job_gets_the_size_as_environment_and_parameter(pipeline: Pipeline) -> None:
    handler(sqs_event(s3_body(s3_record("big.bam", size=FIVE_GB))), LambdaContext())

    [job] = pipeline.jobs()
    assert environment(job)["INPUT_SIZE"] == "5000000000"
    assert job["parameters"]["inputSize"] == "5000000000"


def test_an_empty_object_has_size_zero(pipeline: Pipeline) -> None:
    handler(sqs_event(s3_body(s3_record("empty.csv", size=0))), LambdaContext())

    [job] = pipeline.jobs()
    assert environment(job)["INPUT_SIZE"] == "0"


def test_each_file_of_an_array_job_gets_its_own_size(bulk: Pipeline) -> None:
    sizes = [0, 1, 2**31, FIVE_GB]
    event = sqs_event(*(s3_body(s3_record(f"in/{n}.csv", size=s)) for n, s in enumerate(sizes)))

    handler(event, LambdaContext())

    [job] = bulk.jobs()
    told = {}
    for index in range(job["arrayProperties"]["size"]):
        contract = resolve_contract({**environment(job), "AWS_BATCH_JOB_ARRAY_INDEX": str(index)})
        told[contract["INPUT_KEY"]] = contract["INPUT_SIZE"]
    assert told == {f"in/{n}.csv": str(s) for n, s in enumerate(sizes)}
