"""moto's server as a subprocess on 127.0.0.1: the local stand-in for the AWS APIs."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from types import TracebackType
from typing import Any

from .errors import LocalRunError

REGION = "us-east-1"
ACCOUNT = "123456789012"
"""moto's default account: every ARN the local run builds is in it."""
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
"""Throwaway credentials: moto accepts any, and nothing real can be reached with these."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Emulator:
    """A running moto server; use as a context manager (it stops the server on exit)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        """The endpoint URL every local client (and each job container) uses."""
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def environment(self) -> dict[str, str]:
        """What a process needs for its AWS SDK to talk to this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            **CREDENTIALS,
        }

    def __enter__(self) -> Emulator:
        try:
            import moto.server  # noqa: F401
        except ImportError as missing:
            raise LocalRunError(
                f"moto's server is not installed ({missing.name}); "
                "pip install 'batch-pipeline-construct[local]'"
            ) from None
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                # Jobs run in Docker under this command's control, not under moto's.
                self._post("/moto-api/config", {"batch": {"use_docker": False}})
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise LocalRunError("moto's server did not start within 30 s")

    def _post(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.endpoint + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5):
            pass

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` against this server."""
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
