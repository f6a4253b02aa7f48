"""S3's test event, folder markers and non-creation events are acknowledged without a job."""

from __future__ import annotations

import pytest

from batch_pipeline_construct.runtime.arrival.handler import handler
from tests.runtime.runtime_pipeline import (
    TEST_EVENT_BODY,
    LambdaContext,
    Pipeline,
    environment,
    s3_body,
    s3_record,
    sqs_event,
)


def test_test_events_and_folder_markers_start_no_job(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    event = sqs_event(
        TEST_EVENT_BODY,
        s3_body(s3_record("new folder/")),
        s3_body(s3_record("gone.csv", event_name="ObjectRemoved:Delete")),
    )

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": []}
    assert pipeline.jobs() == []
    assert pipeline.dead_letters() == []
    log = capsys.readouterr().out
    assert '"reason": "test-event"' in log
    assert '"reason": "folder-marker"' in log
    assert '"reason": "not-object-created"' in log


def test_a_folder_marker_beside_a_file_leaves_only_the_file(pipeline: Pipeline) -> None:
    event = sqs_event(s3_body(s3_record("dir/"), s3_record("dir/file.txt")))

    assert handler(event, LambdaContext()) == {"batchItemFailures": []}
    [job] = pipeline.jobs()
    assert environment(job)["INPUT_KEY"] == "dir/file.txt"
