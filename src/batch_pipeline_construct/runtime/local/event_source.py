"""The arrival queue fed to the arrival function the way Lambda's SQS event source feeds it.

Messages are received up to the mapping's batch size within its batching window, handed to the
handler as an SQS event, and deleted unless the handler reported them in ``batchItemFailures``
(or failed as a whole); a message left undeleted comes back after the queue's visibility timeout
and, past the redrive policy's receive count, moves to the dead-letter queue (moto does that
part, as SQS does).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import lambda_worker
from .emulator import REGION
from .errors import LocalRunError

_SQS_RECEIVE_LIMIT = 10


@dataclass(frozen=True)
class Mapping:
    """An event source mapping from the template, resolved."""

    queue_url: str
    queue_arn: str
    batch_size: int
    window_seconds: float
    reports_item_failures: bool


class ArrivalFunction:
    """The arrival function's code, run in a warm worker process with its environment."""

    def __init__(self, code: Path, handler: str, environment: dict[str, str], timeout: float):
        # A file, not a pipe: a chatty handler must never block on a full pipe.
        self._log_file = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen(
            [sys.executable, lambda_worker.__file__, handler, str(timeout)],
            env={**os.environ, **environment, "PYTHONPATH": str(code)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        self.log: list[str] = []
        """What the function printed (its log)."""

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run the handler on ``event``; raises :class:`LocalRunError` when it fails as a whole."""
        stdin, stdout = self._pipe(self._process.stdin), self._pipe(self._process.stdout)
        stdin.write(json.dumps(event) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise LocalRunError(f"the arrival function's process ended: {self.stop()}")
        reply = json.loads(line)
        if "error" in reply:
            raise LocalRunError(f"the arrival function failed: {reply['error']}")
        return reply["result"]

    @staticmethod
    def _pipe(pipe: IO[str] | None) -> IO[str]:
        assert pipe is not None
        return pipe

    def stop(self) -> str:
        """End the worker; returns the last line of its log."""
        if self._log_file.closed:
            return self.log[-1] if self.log else "no output"
        try:
            self._process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
        self._log_file.seek(0)
        self.log.extend(self._log_file.read().splitlines())
        self._log_file.close()
        return self.log[-1] if self.log else "no output"


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def poll_once(sqs: Any, mapping: Mapping, function: ArrivalFunction) -> int:
    """Receive one batch and run the function on it; returns the number of messages received."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + mapping.window_seconds
    while len(messages) < mapping.batch_size:
        received = sqs.receive_message(
            QueueUrl=mapping.queue_url,
            MaxNumberOfMessages=min(_SQS_RECEIVE_LIMIT, mapping.batch_size - len(messages)),
            MessageSystemAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        messages.extend(received)
        if not received and time.monotonic() >= deadline:
            break
        if not received:
            time.sleep(0.2)
    if not messages:
        return 0
    event = {"Records": [_record(message, mapping.queue_arn) for message in messages]}
    try:
        result = function.invoke(event)
    except LocalRunError as failure:
        function.log.append(str(failure))
        return len(messages)
    failed = set()
    if mapping.reports_item_failures and isinstance(result, dict):
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
    done = [message for message in messages if message["MessageId"] not in failed]
    for start in range(0, len(done), _SQS_RECEIVE_LIMIT):
        sqs.delete_message_batch(
            QueueUrl=mapping.queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(done[start : start + _SQS_RECEIVE_LIMIT])
            ],
        )
    return len(messages)
