"""The settings contract: what the construct writes with ``to_environ`` the function reads back."""

from __future__ import annotations

from dataclasses import replace

import pytest

from batch_pipeline_construct.runtime import settings
from batch_pipeline_construct.runtime.settings import ArrivalSettings
from batch_pipeline_construct.runtime.sizing import SizeClass

MINIMAL = ArrivalSettings(
    job_queue_arn="arn:aws:batch:us-east-1:111122223333:job-queue/q",
    job_definition_name="job",
    input_bucket="in",
    output_bucket="out",
)


def test_every_setting_survives_the_round_trip() -> None:
    sent = replace(
        MINIMAL,
        output_root_prefix="results/",
        file_records_table="records",
        record_retention_seconds=3600,
        dead_letter_queue_url="https://sqs/dlq",
        arrival_queue_url="https://sqs/arrival",
        bulk_mode=True,
        bulk_max_files=500,
        manifest_prefix="lists/",
        trigger_prefix="raw/",
        trigger_suffixes=(".csv", ".csv.gz, odd"),
        job_sizes=(
            SizeClass(vcpus=0.5, memory_mib=1024, up_to_bytes=10**9),
            SizeClass(vcpus=16, memory_mib=65536, gpus=1),
        ),
    )

    environ = sent.to_environ()

    assert all(isinstance(value, str) for value in environ.values())
    assert ArrivalSettings.from_environ(environ) == sent
    assert environ[settings.BULK_MODE] == "true"
    assert environ[settings.RECORD_RETENTION_SECONDS] == "3600"


def test_defaults_and_absent_values_stay_out_of_the_environment() -> None:
    environ = MINIMAL.to_environ()

    assert set(environ) == {
        settings.JOB_QUEUE_ARN,
        settings.JOB_DEFINITION_NAME,
        settings.INPUT_BUCKET,
        settings.OUTPUT_BUCKET,
    }
    received = ArrivalSettings.from_environ(environ)
    assert received.bulk_mode is False
    assert received.bulk_max_files == settings.MAX_ARRAY_SIZE
    assert received.manifest_prefix == settings.DEFAULT_MANIFEST_PREFIX
    assert received.record_retention_seconds == settings.DEFAULT_RECORD_RETENTION_SECONDS
    assert received.file_records_table is None


def test_a_missing_required_setting_names_its_variable() -> None:
    environ = MINIMAL.to_environ()
    del environ[settings.JOB_QUEUE_ARN]

    with pytest.raises(KeyError, match=settings.JOB_QUEUE_ARN):
        ArrivalSettings.from_environ(environ)


def test_every_field_has_its_own_environment_variable() -> None:
    fields = replace(
        MINIMAL,
        bulk_mode=True,
        file_records_table="t",
        arrival_queue_url="u",
        dead_letter_queue_url="d",
        output_root_prefix="p/",
        record_retention_seconds=1,
        bulk_max_files=2,
        manifest_prefix="m/",
        files_per_child=3,
        min_children=4,
        file_parallelism=5,
        max_file_attempts=6,
        child_capacity=7,
        trigger_prefix="raw/",
        trigger_suffixes=(".csv",),
        job_sizes=(SizeClass(vcpus=1, memory_mib=2048),),
    )
    environ = fields.to_environ()
    assert len(environ) == len(ArrivalSettings.__dataclass_fields__)


@pytest.mark.parametrize(
    ("key", "triggers"),
    [("raw/a.csv", True), ("raw/a.tsv", True), ("raw/a.txt", False), ("a.csv", False)],
)
def test_the_trigger_matches_as_the_bucket_notification_does(key: str, triggers: bool) -> None:
    pipeline = replace(MINIMAL, trigger_prefix="raw/", trigger_suffixes=(".csv", ".tsv"))

    assert pipeline.triggers(key) is triggers
