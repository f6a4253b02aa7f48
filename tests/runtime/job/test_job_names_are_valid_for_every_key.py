"""Whatever the key, the job name is valid for Batch, and the job gets the key back exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from batch_pipeline_construct.runtime.arrival.s3_events import parse_body
from batch_pipeline_construct.runtime.job.contract import JOB_NAME_PATTERN, JobContract, job_name
from tests.runtime.runtime_pipeline import INPUT_BUCKET, s3_body, s3_record


def valid_s3_key(key: str) -> bool:
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return 0 < size <= 1024 and not key.endswith("/")


def utf8_prefix(text: str, size: int) -> str:
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


short_keys = st.text(min_size=1, max_size=300)
# keys near the 1,024-byte limit: a random piece repeated, cut at a character boundary
long_keys = st.tuples(st.text(min_size=1, max_size=30), st.integers(30, 1024)).map(
    lambda piece: utf8_prefix(piece[0] * piece[1], 1024)
)
keys = (short_keys | long_keys).filter(valid_s3_key)
prefixes = st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(key=keys, prefix=prefixes, version=st.none() | st.text(min_size=1, max_size=40))
def test_every_key_gives_a_valid_job_name_and_round_trips(
    key: str, prefix: str, version: str | None
) -> None:
    notification = parse_body(s3_body(s3_record(key)), INPUT_BUCKET)

    [ref] = notification.objects
    assert ref.key == key
    contract = JobContract(INPUT_BUCKET, ref.key, "out", f"{ref.key}/", version)
    assert contract.environment()["INPUT_KEY"] == key
    name = contract.job_name(prefix)
    assert JOB_NAME_PATTERN.match(name), name
    assert name == contract.job_name(prefix)


def test_keys_that_sanitize_alike_get_different_names() -> None:
    assert job_name("file", "a b.csv", INPUT_BUCKET) != job_name("file", "a_b.csv", INPUT_BUCKET)
    assert job_name("file", "a b.csv", INPUT_BUCKET) != job_name("file", "a?b.csv", INPUT_BUCKET)
    assert job_name("file", "x.csv", INPUT_BUCKET, "v1") != job_name(
        "file", "x.csv", INPUT_BUCKET, "v2"
    )


def test_names_are_readable() -> None:
    name = job_name("file", "incoming/2026/01/report.csv", INPUT_BUCKET)
    assert name.startswith("file-incoming-2026-01-report-csv-")
    long_name = job_name("file", "deep/" * 100 + "the-file-name.csv", INPUT_BUCKET)
    assert "the-file-name-csv" in long_name and len(long_name) <= 128
