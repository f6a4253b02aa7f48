"""The shared fakes behave as AWS would on the wire: botocore retries what it would retry, a lost
response leaves the service's work done, a crash stops every later call, slow responses cost
simulated time, and the event source redelivers what was not acknowledged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from moto import mock_aws
from moto.core.utils import unix_time_millis

from tests.support import (
    AwsFaults,
    Crash,
    EventSource,
    Outcome,
    SimulatedClock,
    at_call,
    first_calls,
)


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def table(client: Any) -> str:
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "t"


def items(name: str) -> int:
    return len(boto3.client("dynamodb").scan(TableName=name)["Items"])


def test_a_rejected_call_never_reaches_the_service_and_botocore_retries_it() -> None:
    clock = SimulatedClock()
    client = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 3}))
    name = table(client)
    faults = AwsFaults(clock).install(client)
    faults.add("dynamodb.PutItem", first_calls(2, Outcome.reject("InternalServerError", 500)))

    with clock.botocore_sleeps():
        client.put_item(TableName=name, Item={"pk": {"S": "a"}})

    assert faults.count("dynamodb.PutItem") == 3
    assert faults.count("dynamodb.PutItem", reached=False) == 2
    assert items(name) == 1
    assert clock.slept > 0  # botocore's backoff spent simulated seconds


def test_a_lost_response_leaves_the_work_done() -> None:
    client = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 1}))
    name = table(client)
    AwsFaults().install(client).add("dynamodb.PutItem", at_call(0, Outcome.lose()))

    with pytest.raises(ReadTimeoutError):
        client.put_item(TableName=name, Item={"pk": {"S": "a"}})

    assert items(name) == 1


def test_an_error_after_the_fact_leaves_the_work_done() -> None:
    client = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 1}))
    name = table(client)
    AwsFaults().install(client).add("dynamodb.PutItem", at_call(0, Outcome.fail_after()))

    with pytest.raises(ClientError) as raised:
        client.put_item(TableName=name, Item={"pk": {"S": "a"}})

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert items(name) == 1


def test_sqs_errors_carry_their_code() -> None:
    client = boto3.client("sqs", config=Config(retries={"total_max_attempts": 1}))
    url = client.create_queue(QueueName="q")["QueueUrl"]
    AwsFaults().install(client).add(
        "sqs.ReceiveMessage", at_call(0, Outcome.reject("OverLimit", 403))
    )

    with pytest.raises(ClientError) as raised:
        client.receive_message(QueueUrl=url)

    assert raised.value.response["Error"]["Code"] == "OverLimit"


def test_after_a_crash_no_call_goes_out_until_revived() -> None:
    client = boto3.client("dynamodb")
    name = table(client)
    faults = AwsFaults().install(client).add("*", at_call(0, Outcome.crash_after()))

    with pytest.raises(Crash):
        client.put_item(TableName=name, Item={"pk": {"S": "a"}})
    with pytest.raises(Crash):
        client.put_item(TableName=name, Item={"pk": {"S": "b"}})
    faults.revive()
    client.put_item(TableName=name, Item={"pk": {"S": "c"}})

    assert items(name) == 2  # "a" (acted on, then died) and "c"
    assert [call.outcome for call in faults.calls] == ["crash-after", "dead", "ok"]


@pytest.mark.parametrize(("seconds", "lost"), [(4.9, False), (5.0, True), (30.0, True)])
def test_a_slow_response_past_the_read_timeout_is_lost(seconds: float, lost: bool) -> None:
    clock = SimulatedClock()
    config = Config(read_timeout=5, retries={"total_max_attempts": 1})
    client = boto3.client("dynamodb", config=config)
    name = table(client)
    AwsFaults(clock).install(client).add("dynamodb.PutItem", at_call(0, Outcome.slow(seconds)))

    if lost:
        with pytest.raises(ReadTimeoutError):
            client.put_item(TableName=name, Item={"pk": {"S": "a"}})
    else:
        client.put_item(TableName=name, Item={"pk": {"S": "a"}})

    assert clock.monotonic() == pytest.approx(min(seconds, 5.0))
    assert items(name) == 1


def test_the_event_source_redelivers_what_was_not_acknowledged() -> None:
    clock = SimulatedClock()
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="arrival")["QueueUrl"]
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    seen: list[str] = []

    def handler(event: Any, context: Any) -> dict[str, Any]:
        records = event["Records"]
        seen.extend(record["body"] for record in records)
        first = len(seen) <= 2
        failed = [
            {"itemIdentifier": r["messageId"]} for r in records if first and r["body"] == "two"
        ]
        return {"batchItemFailures": failed}

    source = EventSource(url, handler, clock=clock, visibility_timeout=360)
    invocations = source.run()

    assert sorted(seen) == ["one", "two", "two"]
    assert len(invocations) == 2
    assert clock.monotonic() == 360


def test_a_failed_message_waits_its_simulated_visibility_timeout_however_slow_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="arrival")["QueueUrl"]  # moto hides for 30 real seconds
    sqs.send_message(QueueUrl=url, MessageBody="one")
    busy = [0.0]  # real milliseconds a loaded machine spent on the run
    monkeypatch.setattr("moto.sqs.models.unix_time_millis", lambda: unix_time_millis() + busy[0])
    clock = SimulatedClock()
    delivered_at: list[float] = []

    def handler(event: Any, context: Any) -> dict[str, Any]:
        delivered_at.append(clock.monotonic())
        busy[0] += 60_000.0
        first = len(delivered_at) == 1
        return {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}] * first}

    EventSource(url, handler, clock=clock, visibility_timeout=360).run()

    assert delivered_at == [0, 360]
