"""Run the real arrival handler against a moto pipeline under faults, and tally the outcome.

The pipeline's resources and the handler's environment must exist already (the runtime tests'
``pipeline`` and ``bulk`` fixtures make them). :func:`run_arrival` uploads ``files`` (one S3
notification each, version ``v1``), lets :class:`.EventSource` drain the arrival queue on a
:class:`.SimulatedClock` with the handler's clients behind :class:`.AwsFaults`, and returns the
:class:`.Tally` (files lost, processed twice, dead-lettered; SubmitJob and ListJobs calls).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from batch_pipeline_construct.runtime import clients
from batch_pipeline_construct.runtime.arrival.handler import handle

from .clock import SimulatedClock
from .event_source import EventSource, Handler, Invoke
from .faults import AwsFaults
from .tally import Tally, tally


def simulated_handler(clock: SimulatedClock, rng: random.Random) -> Handler:
    """The real arrival handler, sleeping, timing and drawing its jitter on ``clock`` and ``rng``."""

    def handler(event: Any, context: Any) -> Any:
        return handle(
            event,
            context,
            sleep=clock.sleep,
            random=rng.random,
            clock=clock.monotonic,
            wall_clock=clock.time,
        )

    return handler


@dataclass(frozen=True)
class ArrivalRun:
    """What one run produced."""

    tally: Tally
    """Per file: jobs, dead letters; AWS calls made."""
    invocations: list[Invoke]
    """Every invocation, in order."""
    clock: SimulatedClock
    """The run's clock (``monotonic()`` is the simulated time it took)."""
    faults: AwsFaults
    """The faults and every call recorded."""

    @property
    def overran(self) -> int:
        """Invocations still running at Lambda's timeout (the handler must always decide)."""
        return sum(invoke.overran for invoke in self.invocations)


def notification(key: str, version_id: str, bucket: str) -> str:
    """An S3 ObjectCreated notification body for one object version."""
    import json
    from urllib.parse import quote_plus

    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key, safe="/"), "size": 1, "versionId": version_id},
        },
    }
    return json.dumps({"Records": [record]})


def run_arrival(
    files: Sequence[str],
    *,
    input_bucket: str,
    queue_url: str,
    dead_letter_queue_url: str,
    job_queue: str,
    faults: Callable[[AwsFaults], object] = lambda _: None,
    extra_bodies: Sequence[str] = (),
    batch_size: int = 10,
    function_timeout: float = 60.0,
    visibility_timeout: float = 360.0,
    first_time_left: float | None = None,
    seed: int = 0,
    max_invocations: int = 500,
) -> ArrivalRun:
    """Upload ``files`` (and send ``extra_bodies`` as they are), drain the queue, tally."""
    sqs = boto3.client("sqs")
    bodies = [notification(key, "v1", input_bucket) for key in files] + list(extra_bodies)
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": body}
                for i, body in enumerate(bodies[start : start + 10])
            ],
        )
    clock = SimulatedClock()
    injected = AwsFaults(clock).install(
        clients.batch(), clients.dynamodb(), clients.sqs(), clients.s3()
    )
    faults(injected)
    source = EventSource(
        queue_url,
        simulated_handler(clock, random.Random(seed)),
        clock=clock,
        faults=injected,
        batch_size=batch_size,
        function_timeout=function_timeout,
        visibility_timeout=visibility_timeout,
        first_time_left=first_time_left,
    )
    with clock.botocore_sleeps():
        invocations = source.run(max_invocations=max_invocations)
    result = tally(
        [(key, "v1") for key in files],
        job_queue=job_queue,
        dead_letter_queue_url=dead_letter_queue_url,
        faults=injected,
    )
    return ArrivalRun(result, invocations, clock, injected)
