"""Fixtures for the job container's side: S3 in a moto server of its own, and the resolver."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.runtime.job.job_container import INPUT_BUCKET, OUTPUT_BUCKET, Resolver, S3Server


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    """Fresh input and output buckets in a moto server of their own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # Every moto server in a process shares one backend: start from an empty account.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    for name, value in S3Server(endpoint, None).environ().items():
        if name.startswith("AWS_"):  # in-process clients of the tests use the server too
            monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
        client.create_bucket(Bucket=bucket)
    try:
        yield S3Server(endpoint, client)
    finally:
        server.stop()


@pytest.fixture
def resolver(s3_server: S3Server, tmp_path: Path) -> Resolver:
    """The resolver and the user's command, against the moto server."""
    return Resolver(s3_server, tmp_path)
