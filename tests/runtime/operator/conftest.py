"""Fixtures for the operator commands: the pipeline's arrival function, and a moto server for
commands run in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from batch_pipeline_construct.runtime.records.query import RecordsTable
from tests.runtime.operator.deployed import FUNCTION, deploy_function
from tests.runtime.operator.seeded_records import use_records_table
from tests.runtime.runtime_pipeline import Pipeline


@pytest.fixture
def function(pipeline: Pipeline) -> str:
    """The arrival function of ``pipeline``, its settings in its environment."""
    return deploy_function(FUNCTION, dict(pipeline.environ))


@pytest.fixture
def table(pipeline: Pipeline) -> RecordsTable:
    """The pipeline's file-records table, added to the settings of functions deployed after it."""
    return use_records_table(pipeline)


@pytest.fixture
def moto_server() -> Iterator[str]:
    """A moto server on a free local port, for commands run in a subprocess; its endpoint."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
