"""A file's record and the arrival function's claim are one item: both use the same key."""

from __future__ import annotations

import pytest

from batch_pipeline_construct.runtime.arrival.idempotency import dedupe_key
from batch_pipeline_construct.runtime.arrival.s3_events import ObjectRef
from batch_pipeline_construct.runtime.records import schema


@pytest.mark.parametrize(
    "ref",
    [
        ObjectRef(bucket="in", key="a/b c#d.csv", version_id="3HL4kqtJlcpXroDTDmJ"),
        ObjectRef(bucket="in", key="plain.csv", sequencer="0055AED6DCD90281E5"),
        ObjectRef(bucket="in", key="anonymous.csv"),
    ],
)
def test_record_key_is_the_claim_key(ref: ObjectRef) -> None:
    assert schema.record_key(
        ref.bucket, ref.key, version_id=ref.version_id, sequencer=ref.sequencer
    ) == dedupe_key(ref)


def test_run_items_never_share_a_key_with_a_file() -> None:
    file_key = schema.record_key("bucket", "run#1", version_id="v")
    assert file_key is not None and not schema.is_run_key(file_key)
    assert schema.is_run_key(schema.run_key("20261124T220000Z-0a1b2c"))
    assert schema.is_run_key(schema.CURRENT_RUN_KEY)
