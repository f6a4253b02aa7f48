"""Fakes shared by the tests and the benchmarks: AWS faults injected at the HTTP layer, simulated
time, and a tally of what became of every uploaded file.

* :mod:`.faults`: :class:`AwsFaults` sits where botocore sends a request (``before-send``), in
  front of moto, so a fault can stop a request before it reaches the service, lose the response
  after the service acted on it, answer slowly or kill the invocation at a chosen call; botocore's
  own retry handler sees every fault as it would on the wire.
* :mod:`.clock`: :class:`SimulatedClock`, one clock for the handler, botocore's retry sleeps and
  the Lambda context's remaining time.
* :mod:`.tally`: :func:`tally` counts, per uploaded file, the jobs Batch holds for it (per-file
  jobs and array-job manifests) and whether it was dead-lettered: lost, processed twice,
  dead-lettered.
* :mod:`.event_source`: :class:`EventSource` plays Lambda's SQS event source on simulated time
  (receive, invoke, delete what succeeded, redeliver the rest after the visibility timeout).
* :mod:`.arrival_run`: :func:`run_arrival` puts them together: files uploaded, the real
  arrival handler draining the queue under the faults chosen, and the tally.
* :mod:`.moto_transactions`: :func:`item_snapshot_transactions`, moto's ``TransactWriteItems``
  without a copy of every table for every item, proven equal to plain moto (large runs only).
"""

from .arrival_run import ArrivalRun, run_arrival
from .clock import SimulatedClock, SimulatedContext
from .event_source import EventSource, Invoke
from .faults import (
    AwsFaults,
    Call,
    Crash,
    Fault,
    Outcome,
    at_call,
    at_random,
    first_calls,
)
from .tally import Tally, tally

__all__ = [
    "ArrivalRun",
    "AwsFaults",
    "Call",
    "Crash",
    "EventSource",
    "Fault",
    "Invoke",
    "Outcome",
    "SimulatedClock",
    "SimulatedContext",
    "Tally",
    "at_call",
    "at_random",
    "first_calls",
    "run_arrival",
    "tally",
]
