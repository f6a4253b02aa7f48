"""The simulated AWS the arrival benchmark runs against: moto, simulated latency, throttling, faults.

What is real: the arrival handler and every module it imports, botocore/boto3 clients (the
handler's own cached clients from ``runtime.clients``), and moto's Batch, S3, DynamoDB and SQS
services (visibility timeouts, receive counts, redrive to the dead-letter queue).

What is simulated, on the simulated clock of ``_sim.py``:

* the latency of every AWS call (a botocore ``before-call`` hook sleeps :class:`Latencies`),
* SubmitJob's rate limit: a token bucket (``rate`` calls/s, ``burst`` tokens) checked when the
  call arrives; a call over the rate raises ``TooManyRequestsException`` (HTTP 429) from the
  hook, so moto never sees it,
* random server faults: a fraction of the calls the bucket admits raise ``ServerException``
  (HTTP 500), also before moto sees them (the job is not created),
* moto's own clock for SQS (``unix_time``), so visibility timeouts run on simulated time.

Two patches make moto's SQS usable at 10,000+ messages without changing what it does: its
retention check (which recomputed every queue attribute for every received message) and its
receipt-handle lookup on delete (a scan of every message) are replaced by O(1) equivalents.

Backends (``--backend``):

* ``moto``: every service is moto.
* ``hybrid`` (the default up to 100,000 files): the idempotency table is
  :class:`MemoryDynamoDbClient` (the Ledger's three conditional writes, with DynamoDB's semantics;
  any other expression raises), because moto parses every condition expression anew (~3 ms a
  call, two calls per file); SQS, S3 and Batch stay moto. With the same seed it gives the same
  figures as ``moto``.
* ``memory`` (the default above 100,000 files): the arrival queue and its dead-letter queue are
  :class:`MemoryQueue` as well (visibility timeout, receive count, redrive after
  maxReceiveCount), and moto's Batch records an array job without materializing its children
  (they are counted from ``arrayProperties.size`` and checked against the manifest).
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
import random
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ._sim import Simulation

ACCOUNT = "123456789012"
REGION = "us-east-1"
INPUT_BUCKET = "bench-input"
OUTPUT_BUCKET = "bench-output"
JOB_DEFINITION = "bench-job"
TABLE = "bench-submissions"


@dataclass(frozen=True)
class Latencies:
    """Simulated round-trip time of each call, in seconds (typical same-region figures)."""

    submit_job: float = 0.060
    dynamodb: float = 0.008
    sqs_receive: float = 0.015
    sqs_other: float = 0.012
    s3_base: float = 0.030
    s3_bytes_per_second: float = 50e6
    lambda_invoke: float = 0.010
    lambda_cold_start: float = 0.250

    def scaled(self, factor: float) -> Latencies:
        """Every latency multiplied by ``factor`` (throughputs stay as they are)."""
        return Latencies(
            **{
                name: value * factor if name != "s3_bytes_per_second" else value / factor
                for name, value in self.__dict__.items()
            }
        )

    def of(self, service: str, operation: str, size: int = 0) -> float:
        """The latency of one call that sends ``size`` bytes."""
        if service == "batch":
            return self.submit_job if operation == "SubmitJob" else self.sqs_other
        if service == "dynamodb":
            return self.dynamodb
        if service == "sqs":
            return self.sqs_receive if operation == "ReceiveMessage" else self.sqs_other
        if service == "s3":
            return self.s3_base + size / self.s3_bytes_per_second
        return self.sqs_other


@dataclass
class Throttle:
    """SubmitJob's rate limit: a token bucket on simulated time, plus random server faults."""

    sim: Simulation
    rate: float
    burst: float
    fault_rate: float
    rng: random.Random
    tokens: float = field(init=False)
    last: float = 0.0
    calls: int = 0
    throttled: int = 0
    faulted: int = 0
    accepted: int = 0

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def check(self) -> None:
        """Admit one call now, or raise the error AWS would return."""
        self.calls += 1
        now = self.sim.now
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1.0:
            self.throttled += 1
            raise _error("TooManyRequestsException", 429, "Too Many Requests (simulated)")
        self.tokens -= 1.0
        if self.rng.random() < self.fault_rate:
            self.faulted += 1
            raise _error("ServerException", 500, "Internal server error (simulated)")
        self.accepted += 1


def _error(
    code: str, status: int, message: str, operation: str = "SubmitJob", **extra: Any
) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
            **extra,
        },
        operation,
    )


class CallLog:
    """Counts calls per service and operation, and sleeps their simulated latency."""

    def __init__(self, sim: Simulation, latencies: Latencies) -> None:
        self.sim = sim
        self.latencies = latencies
        self.counts: Counter[str] = Counter()

    def call(self, service: str, operation: str, size: int = 0) -> None:
        """Account for one call: count it and let its latency pass."""
        self.counts[f"{service}.{operation}"] += 1
        self.sim.sleep(self.latencies.of(service, operation, size))

    def attach(self, client: Any, throttle: Throttle | None = None) -> None:
        """Run :meth:`call` (and ``throttle`` for SubmitJob) before every call of ``client``."""
        service = client.meta.service_model.service_name

        def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
            body = params.get("body")
            self.call(service, model.name, len(body) if isinstance(body, bytes | str) else 0)
            if throttle is not None and model.name == "SubmitJob":
                throttle.check()

        client.meta.events.register(f"before-call.{service}", before_call)


# -- moto ------------------------------------------------------------------------------------


def patch_moto(sim: Simulation, *, materialize_array_children: bool) -> None:
    """Put moto's SQS on simulated time, make it O(1) per message, and optionally skip array children."""
    from moto.batch_simple import models as batch_simple
    from moto.sqs import models as sqs

    sqs.unix_time = lambda *args: sim.wall_clock()  # type: ignore[assignment]
    sqs.unix_time_millis = lambda *args: sim.wall_clock_millis()  # type: ignore[assignment]

    def retained(self: Any, queue_name: str, message: Any) -> bool:
        queue = self.get_queue(queue_name)
        return (
            int(queue.message_retention_period) + message.sent_timestamp / 1000 > sim.wall_clock()
        )

    sqs.SQSBackend.is_message_valid_based_on_retention_period = retained  # type: ignore[method-assign]

    handles: dict[str, Any] = {}
    original_mark_received = sqs.Message.mark_received

    def mark_received(self: Any, visibility_timeout: int | None = None) -> None:
        original_mark_received(self, visibility_timeout)
        handles[self.receipt_handle] = self

    def delete_message(self: Any, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return
        message = handles.get(receipt_handle)
        if message is None or message not in self._messages:
            raise sqs.ReceiptHandleIsInvalid()
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
        self._messages.remove(message)

    sqs.Message.mark_received = mark_received  # type: ignore[method-assign]
    sqs.Queue.delete_message = delete_message  # type: ignore[method-assign]

    if not materialize_array_children:
        original_submit = batch_simple.BatchSimpleBackend.submit_job

        def submit_job(
            self: Any,
            job_name: str,
            job_def_id: str,
            job_queue: str,
            array_properties: dict[str, Any],
            *args: Any,
            **kwargs: Any,
        ) -> tuple[str, str, str]:
            size = (array_properties or {}).get("size")
            if size is None:
                return original_submit(
                    self, job_name, job_def_id, job_queue, array_properties, *args, **kwargs
                )
            result = original_submit(self, job_name, job_def_id, job_queue, {}, *args, **kwargs)
            self.get_job_by_id(result[1]).array_properties = {"size": size}
            return result

        batch_simple.BatchSimpleBackend.submit_job = submit_job  # type: ignore[method-assign]


def fake_credentials() -> None:
    """Credentials and region for moto (never real ones)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        os.environ[name] = value


@dataclass
class MotoResources:
    """The pipeline's resources in moto."""

    queue_url: str
    dead_letter_url: str
    job_queue_arn: str


def create_resources(
    *, visibility_timeout: int, max_receive_count: int, dedupe: bool
) -> MotoResources:
    """Buckets, queues, table and Batch queue/definition, configured as the template says."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=INPUT_BUCKET)
    s3.create_bucket(Bucket=OUTPUT_BUCKET)
    sqs = boto3.client("sqs")
    dead_letter_url = sqs.create_queue(QueueName="arrival-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName="arrival",
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "MessageRetentionPeriod": str(14 * 24 * 3600),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(max_receive_count)}
            ),
        },
    )["QueueUrl"]
    if dedupe:
        boto3.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    role = boto3.client("iam").create_role(RoleName="batch", AssumeRolePolicyDocument="{}")
    batch = boto3.client("batch")
    environment = batch.create_compute_environment(
        computeEnvironmentName="bench-ce",
        type="UNMANAGED",
        state="ENABLED",
        serviceRole=role["Role"]["Arn"],
    )["computeEnvironmentArn"]
    job_queue_arn = batch.create_job_queue(
        jobQueueName="bench-queue",
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )["jobQueueArn"]
    batch.register_job_definition(
        jobDefinitionName=JOB_DEFINITION,
        type="container",
        containerProperties={"image": "bench-job:latest", "vcpus": 1, "memory": 512},
    )
    return MotoResources(queue_url, dead_letter_url, job_queue_arn)


# -- in-memory SQS and DynamoDB for very large runs -------------------------------------------


@dataclass
class _Message:
    message_id: str
    body: str
    sent: float
    receive_count: int = 0
    first_receive: float | None = None
    handle: str = ""
    visible_at: float = 0.0
    epoch: int = 0


class MemoryQueue:
    """An SQS standard queue: visibility timeout, receive count, redrive after ``max_receive_count``."""

    def __init__(
        self,
        sim: Simulation,
        url: str,
        *,
        visibility_timeout: float,
        max_receive_count: int | None,
        dead_letter: MemoryQueue | None,
    ) -> None:
        self.sim = sim
        self.url = url
        self.visibility_timeout = visibility_timeout
        self.max_receive_count = max_receive_count
        self.dead_letter = dead_letter
        self.ready: deque[_Message] = deque()
        self.in_flight: list[tuple[float, int, int, _Message]] = []
        self.by_id: dict[str, _Message] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self.by_id)

    def send(self, body: str) -> str:
        message = _Message(uuid.uuid4().hex, body, self.sim.wall_clock())
        self.by_id[message.message_id] = message
        self.ready.append(message)
        return message.message_id

    def receive(self, count: int, visibility_timeout: float | None = None) -> list[_Message]:
        self._release_due()
        timeout = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        out: list[_Message] = []
        while self.ready and len(out) < count:
            message = self.ready.popleft()
            if (
                self.max_receive_count is not None
                and message.receive_count >= self.max_receive_count
            ):
                del self.by_id[message.message_id]
                assert self.dead_letter is not None
                self.dead_letter.send(message.body)
                continue
            message.receive_count += 1
            message.first_receive = message.first_receive or self.sim.wall_clock()
            message.handle = uuid.uuid4().hex
            message.epoch += 1
            self._hide(message, timeout)
            out.append(message)
        return out

    def next_visible(self) -> float | None:
        """Seconds until the next hidden message becomes visible (0 if one is visible now)."""
        self._release_due()
        if self.ready:
            return 0.0
        while self.in_flight:
            when, _, epoch, message = self.in_flight[0]
            if epoch == message.epoch and message.message_id in self.by_id:
                return max(0.0, when - self.sim.now)
            heapq.heappop(self.in_flight)
        return None

    def _hide(self, message: _Message, timeout: float) -> None:
        message.visible_at = self.sim.now + timeout
        heapq.heappush(
            self.in_flight, (message.visible_at, next(self._seq), message.epoch, message)
        )
        if timeout <= 0:
            self._release_due()

    def _release_due(self) -> None:
        while self.in_flight and self.in_flight[0][0] <= self.sim.now:
            _, _, epoch, message = heapq.heappop(self.in_flight)
            if epoch == message.epoch and message.message_id in self.by_id:
                self.ready.append(message)


class MemorySqsClient:
    """The part of the SQS client API the handler and the poller use, on :class:`MemoryQueue`."""

    def __init__(self, calls: CallLog, queues: dict[str, MemoryQueue]) -> None:
        self._calls = calls
        self._queues = queues
        self._handles: dict[str, tuple[str, str]] = {}

    def receive_message(
        self, *, QueueUrl: str, MaxNumberOfMessages: int = 1, WaitTimeSeconds: int = 0, **_: Any
    ) -> dict[str, Any]:  # noqa: N803
        self._calls.call("sqs", "ReceiveMessage")
        queue = self._queues[QueueUrl]
        messages = queue.receive(MaxNumberOfMessages)
        out = []
        for message in messages:
            self._handles[message.handle] = (QueueUrl, message.message_id)
            out.append(
                {
                    "MessageId": message.message_id,
                    "ReceiptHandle": message.handle,
                    "Body": message.body,
                    "Attributes": {
                        "ApproximateReceiveCount": str(message.receive_count),
                        "SentTimestamp": str(int(message.sent * 1000)),
                        "ApproximateFirstReceiveTimestamp": str(
                            int((message.first_receive or 0) * 1000)
                        ),
                    },
                }
            )
        return {"Messages": out} if out else {}

    def delete_message_batch(
        self, *, QueueUrl: str, Entries: list[dict[str, str]]
    ) -> dict[str, Any]:  # noqa: N803
        self._calls.call("sqs", "DeleteMessageBatch")
        ok, failed = [], []
        for entry in Entries:
            (ok if self._apply(QueueUrl, entry["ReceiptHandle"], None) else failed).append(
                {"Id": entry["Id"]}
            )
        return {"Successful": ok, "Failed": failed}

    def change_message_visibility_batch(
        self, *, QueueUrl: str, Entries: list[dict[str, Any]]
    ) -> dict[str, Any]:  # noqa: N803
        self._calls.call("sqs", "ChangeMessageVisibilityBatch")
        ok, failed = [], []
        for entry in Entries:
            applied = self._apply(
                QueueUrl, entry["ReceiptHandle"], float(entry["VisibilityTimeout"])
            )
            (ok if applied else failed).append({"Id": entry["Id"]})
        return {"Successful": ok, "Failed": failed}

    def send_message(self, *, QueueUrl: str, MessageBody: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        self._calls.call("sqs", "SendMessage")
        return {"MessageId": self._queues[QueueUrl].send(MessageBody)}

    def _apply(self, url: str, handle: str, visibility: float | None) -> bool:
        known = self._handles.get(handle)
        if known is None or known[0] != url:
            return False
        queue = self._queues[url]
        message = queue.by_id.get(known[1])
        if message is None or message.handle != handle:
            return False  # deleted, or received again since: this handle is stale
        del self._handles[handle]
        if visibility is None:
            del queue.by_id[message.message_id]
            message.epoch += 1
        else:
            message.epoch += 1
            queue._hide(message, visibility)  # noqa: SLF001
        return True


_CLAIM_CONDITION = (
    "attribute_not_exists(#pk) OR #ttl < :now OR (#status = :pending AND #lease < :now)"
)
_TOKEN_CONDITION = "#token = :token"


class MemoryDynamoDbClient:
    """The idempotency table's three conditional writes, with DynamoDB's semantics, in memory.

    Only the condition expressions ``runtime.idempotency`` sends are understood; any other raises,
    so a change in the runtime cannot be silently mis-simulated.
    """

    def __init__(self, calls: CallLog) -> None:
        self._calls = calls
        self.items: dict[str, dict[str, Any]] = {}

    def put_item(
        self,
        *,
        TableName: str,
        Item: dict[str, Any],
        ConditionExpression: str,
        ExpressionAttributeValues: dict[str, Any],
        ReturnValuesOnConditionCheckFailure: str = "NONE",
        **_: Any,
    ) -> dict[str, Any]:  # noqa: N803
        self._calls.call("dynamodb", "PutItem")
        if ConditionExpression != _CLAIM_CONDITION:
            raise NotImplementedError(f"unsupported condition: {ConditionExpression}")
        key = Item["pk"]["S"]
        old = self.items.get(key)
        now = float(ExpressionAttributeValues[":now"]["N"])
        if old is not None and not (
            float(old["expires_at"]["N"]) < now
            or (
                old["status"]["S"] == ExpressionAttributeValues[":pending"]["S"]
                and float(old["lease_until"]["N"]) < now
            )
        ):
            extra = {"Item": dict(old)} if ReturnValuesOnConditionCheckFailure == "ALL_OLD" else {}
            raise _error(
                "ConditionalCheckFailedException",
                400,
                "The conditional request failed",
                "PutItem",
                **extra,
            )
        self.items[key] = dict(Item)
        return {}

    def update_item(
        self,
        *,
        TableName: str,
        Key: dict[str, Any],
        ConditionExpression: str,
        ExpressionAttributeValues: dict[str, Any],
        **_: Any,
    ) -> dict[str, Any]:  # noqa: N803
        self._calls.call("dynamodb", "UpdateItem")
        if ConditionExpression == _CLAIM_CONDITION:
            return self._claim(Key, ExpressionAttributeValues)
        item = self._owned(Key, ConditionExpression, ExpressionAttributeValues, "UpdateItem")
        item["status"] = ExpressionAttributeValues[":submitted"]
        item["job_id"] = ExpressionAttributeValues[":job_id"]
        item["job_name"] = ExpressionAttributeValues[":job_name"]
        return {}

    def delete_item(
        self,
        *,
        TableName: str,
        Key: dict[str, Any],
        ConditionExpression: str,
        ExpressionAttributeValues: dict[str, Any],
        **_: Any,
    ) -> dict[str, Any]:  # noqa: N803
        self._calls.call("dynamodb", "DeleteItem")
        self._owned(Key, ConditionExpression, ExpressionAttributeValues, "DeleteItem")
        del self.items[Key["pk"]["S"]]
        return {}

    def _claim(self, key: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        """The arrival function's claim (``runtime.arrival.idempotency.Ledger.claim``)."""
        pk = key["pk"]["S"]
        old = self.items.get(pk)
        now = float(values[":now"]["N"])
        if old is not None and not (
            float(old["expires_at"]["N"]) < now
            or (
                old["status"]["S"] == values[":pending"]["S"]
                and float(old["lease_until"]["N"]) < now
            )
        ):
            raise _error(
                "ConditionalCheckFailedException",
                400,
                "The conditional request failed",
                "UpdateItem",
                Item=dict(old),
            )
        names = set((old or {}).get("submissions", {}).get("SS", [])) | set(values[":names"]["SS"])
        self.items[pk] = {
            **(old or {}),
            "pk": {"S": pk},
            "status": values[":pending"],
            "token": values[":token"],
            "lease_until": values[":lease"],
            "expires_at": values[":expires"],
            "submissions": {"SS": sorted(names)},
        }
        return {"Attributes": dict(old)} if old is not None else {}

    def _owned(
        self, key: dict[str, Any], condition: str, values: dict[str, Any], operation: str
    ) -> dict[str, Any]:
        if condition != _TOKEN_CONDITION:
            raise NotImplementedError(f"unsupported condition: {condition}")
        item = self.items.get(key["pk"]["S"])
        if item is None or item["token"]["S"] != values[":token"]["S"]:
            raise _error(
                "ConditionalCheckFailedException", 400, "The conditional request failed", operation
            )
        return item


def install_clients(overrides: dict[str, Callable[[], Any]]) -> None:
    """Make ``runtime.clients.NAME()`` return the given objects (for the in-memory backend)."""
    from batch_pipeline_construct.runtime import clients

    for name, factory in overrides.items():
        setattr(clients, name, factory)
