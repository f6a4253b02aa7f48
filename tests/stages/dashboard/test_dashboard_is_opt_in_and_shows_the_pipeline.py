"""The dashboard: none unless asked for (it costs money), and then a graph per operator question."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk.assertions import Template

from tests.support.pipeline_builders import only, resources, template_of


def test_no_dashboard_by_default(default_template: Template) -> None:
    assert not resources(default_template, "AWS::CloudWatch::Dashboard")


def test_dashboard_graphs_files_jobs_queue_dead_letters_and_the_arrival_function(
    dockerfile_dir: Path,
) -> None:
    template = template_of(dockerfile_dir, dashboard=True)

    _, dashboard = only(template, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    titles = [
        "Files",
        "Finished jobs by state",
        "Arrival queue",
        "Dead letters",
        "Arrival function errors",
        "Arrival function duration",
    ]
    assert all(f'\\"title\\":\\"{title}\\"' in body for title in titles)
    for metric in (
        "NumberOfMessagesSent",
        "FilesSubmitted",
        "Invocations",
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "Errors",
        "Duration",
    ):
        assert f'\\"{metric}\\"' in body, metric
    for label in ("arrived", "submitted", "SUCCEEDED", "FAILED", "files waiting"):
        assert f'\\"label\\":\\"{label}\\"' in body, label
    # The files-submitted graph reads the log metric filter that the dashboard brought in.
    _, metric_filter = only(template, "AWS::Logs::MetricFilter")
    namespace = metric_filter["Properties"]["MetricTransformations"][0]["MetricNamespace"]
    assert namespace in body
