"""The optional CloudWatch dashboard: the pipeline at a glance, from its ``metric_*`` methods.

Off by default: a dashboard costs $3 a month beyond an account's first three.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_cloudwatch
from constructs import Construct

Graphs = Mapping[str, Sequence[aws_cloudwatch.IMetric]]
"""Graph title -> the metrics it plots (each labelled), in the order they are laid out."""

_WIDTH = 12  # two graphs side by side on the dashboard's 24-column grid


class PipelineDashboard(Construct):
    """One CloudWatch dashboard with a graph per question an operator asks of the pipeline."""

    def __init__(self, scope: Construct, construct_id: str, *, graphs: Graphs) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = aws_cloudwatch.Dashboard(self, "Dashboard")
        """The dashboard."""
        widgets = [
            aws_cloudwatch.GraphWidget(title=title, left=list(metrics), width=_WIDTH)
            for title, metrics in graphs.items()
        ]
        for row in range(0, len(widgets), 2):
            self.dashboard.add_widgets(*widgets[row : row + 2])
