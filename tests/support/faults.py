"""AWS faults injected at the HTTP layer, in front of moto, so botocore's retries see them.

moto answers a botocore client from a ``before-send`` handler. :meth:`AwsFaults.install` puts
its own handler in that place and calls moto from it, so for every request it can decide:

* let it through (moto answers);
* :meth:`Outcome.reject`: answer with an AWS error *instead of* the service (throttling, a 5xx
  before anything happened); the request never reaches moto;
* :meth:`Outcome.fail_after`: moto acts on the request (a job is created), then the client gets
  an error response instead of moto's (a 5xx after the fact);
* :meth:`Outcome.lose`: moto acts, then the response is lost (``ReadTimeoutError``);
* :meth:`Outcome.slow`: the response takes that many simulated seconds; past the client's
  ``read_timeout`` the client gives up (moto has acted, the response is lost);
* :meth:`Outcome.refuse`: the connection fails (``EndpointConnectionError``); nothing reached;
* :meth:`Outcome.crash_before` / :meth:`Outcome.crash_after`: the invocation dies at this call,
  before the request left or after the service acted on it. :class:`Crash` is a
  ``BaseException``, so no ``except Exception`` in the code under test can swallow it, and every
  later call also raises it until :meth:`AwsFaults.revive` (a dead process makes no calls).

Every call is recorded (:attr:`AwsFaults.calls`), so a test counts SubmitJob and ListJobs calls
per file and the calls an invocation made before it died.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

from .clock import SimulatedClock

Kind = Literal["reject", "fail-after", "lose", "slow", "refuse", "crash-before", "crash-after"]


_HANDLER_ID = "tests.support.faults"


class Crash(BaseException):  # noqa: N818 (not an error the code under test may handle)
    """The invocation died here: Lambda's timeout, out of memory, a host failure."""


@dataclass(frozen=True)
class Outcome:
    """What happens to one request (build one with the static methods)."""

    kind: Kind
    status: int = 0
    code: str = ""
    seconds: float = 0.0

    @staticmethod
    def reject(code: str = "ServerException", status: int = 500) -> Outcome:
        """AWS answers ``code``/``status`` and does nothing (the request never reached it)."""
        return Outcome("reject", status, code)

    @staticmethod
    def throttle(code: str = "TooManyRequestsException", status: int = 429) -> Outcome:
        """AWS refuses the call for its rate limit (nothing happened)."""
        return Outcome("reject", status, code)

    @staticmethod
    def fail_after(code: str = "ServerException", status: int = 500) -> Outcome:
        """AWS acts on the request, then the client gets ``code``/``status`` instead."""
        return Outcome("fail-after", status, code)

    @staticmethod
    def lose() -> Outcome:
        """AWS acts on the request and the response never arrives (read timeout)."""
        return Outcome("lose")

    @staticmethod
    def slow(seconds: float) -> Outcome:
        """The response takes ``seconds``; beyond the client's read timeout it is lost."""
        return Outcome("slow", seconds=seconds)

    @staticmethod
    def refuse() -> Outcome:
        """The connection cannot be made (nothing reached AWS)."""
        return Outcome("refuse")

    @staticmethod
    def crash_before() -> Outcome:
        """The invocation dies just before this request is sent."""
        return Outcome("crash-before")

    @staticmethod
    def crash_after() -> Outcome:
        """The invocation dies just after AWS acted on this request, before it reads the answer."""
        return Outcome("crash-after")


@dataclass(frozen=True)
class Call:
    """One request a client sent (or tried to)."""

    index: int
    """Its position among every call the installed clients made, from 0."""
    service: str
    """botocore's service ID, e.g. ``batch``, ``dynamodb``, ``sqs``, ``s3``."""
    operation: str
    """The API operation, e.g. ``SubmitJob``."""
    body: bytes
    """The request body (JSON for Batch, DynamoDB and SQS)."""
    outcome: str = "ok"
    """``ok`` or the :class:`Outcome` kind applied to it, ``dead`` after a crash."""
    reached: bool = True
    """Whether the service acted on it."""

    @property
    def name(self) -> str:
        """``service.Operation``."""
        return f"{self.service}.{self.operation}"

    def json(self) -> Any:
        """The request body parsed as JSON (``{}`` when it is not JSON)."""
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}


Fault = Callable[[int, Call], Outcome | None]
"""Decides a matching call's outcome from how many matching calls came before it (from 0)."""


def first_calls(count: int, outcome: Outcome) -> Fault:
    """The first ``count`` matching calls get ``outcome``."""
    return lambda seen, _: outcome if seen < count else None


def at_call(position: int, outcome: Outcome) -> Fault:
    """Only the matching call at ``position`` (from 0) gets ``outcome``."""
    return lambda seen, _: outcome if seen == position else None


def at_random(rate: float, outcome: Outcome, rng: random.Random) -> Fault:
    """Each matching call gets ``outcome`` with probability ``rate`` (seeded by ``rng``)."""
    return lambda _seen, _call: outcome if rng.random() < rate else None


@dataclass
class _Rule:
    pattern: str
    fault: Fault
    seen: int = 0


class AwsFaults:
    """Faults for every client it is installed on, decided per call by the rules added."""

    def __init__(self, clock: SimulatedClock | None = None) -> None:
        self.clock = clock
        """Where slow responses spend their time (no time passes without one)."""
        self.calls: list[Call] = []
        """Every call, in order."""
        self.crashed = False
        """Whether an invocation died; every call raises :class:`Crash` until :meth:`revive`."""
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()

    def install(self, *clients: Any) -> AwsFaults:
        """Route ``clients``' requests through these faults (moto must be active), instead of
        through moto directly or through an earlier :class:`AwsFaults`."""
        for client in clients:
            events = client.meta.events
            events.unregister("before-send", botocore_stubber)
            events.unregister("before-send", unique_id=_HANDLER_ID)  # an earlier AwsFaults
            timeout = float(client.meta.config.read_timeout)
            events.register(
                "before-send",
                functools.partial(self._before_send, read_timeout=timeout),
                unique_id=_HANDLER_ID,
            )
        return self

    def add(self, pattern: str, fault: Fault) -> AwsFaults:
        """Apply ``fault`` to calls whose ``service.Operation`` matches ``pattern`` (``*`` ok).

        The first rule that returns an outcome decides; later rules still count the call.
        """
        self._rules.append(_Rule(pattern, fault))
        return self

    def clear(self) -> None:
        """Remove every rule (the calls recorded stay)."""
        self._rules.clear()

    def revive(self) -> None:
        """A new invocation starts: calls go through again."""
        self.crashed = False

    def count(self, name: str, *, reached: bool | None = None) -> int:
        """Calls whose ``service.Operation`` matches ``name``, optionally only those that did
        (``reached=True``) or did not reach the service."""
        return sum(
            1
            for call in self.calls
            if fnmatch.fnmatchcase(call.name, name) and (reached is None or call.reached == reached)
        )

    def _before_send(
        self, request: Any, event_name: str, read_timeout: float, **kwargs: Any
    ) -> AWSResponse | None:
        _, service, operation = event_name.split(".", 2)
        raw = request.body
        # a streamed body (S3 uploads) is left unread for moto
        body = raw if isinstance(raw, bytes) else raw.encode() if isinstance(raw, str) else b""
        with self._lock:
            call = Call(len(self.calls), service, operation, body)
            if self.crashed:
                self.calls.append(_replace(call, "dead", reached=False))
                raise Crash(f"{call.name}: the invocation is dead")
            outcome: Outcome | None = None
            for rule in self._rules:
                if fnmatch.fnmatchcase(call.name, rule.pattern):
                    decided = rule.fault(rule.seen, call)
                    rule.seen += 1
                    outcome = outcome or decided
            reached = outcome is None or outcome.kind not in ("reject", "refuse", "crash-before")
            self.calls.append(_replace(call, outcome.kind if outcome else "ok", reached=reached))
            if outcome is not None and outcome.kind.startswith("crash"):
                self.crashed = True
        return self._apply(outcome, request, event_name, read_timeout, kwargs)

    def _apply(
        self,
        outcome: Outcome | None,
        request: Any,
        event_name: str,
        timeout: float,
        kwargs: dict[str, Any],
    ) -> AWSResponse | None:
        if outcome is None:
            return botocore_stubber(event_name, request, **kwargs)
        if outcome.kind == "crash-before":
            raise Crash(event_name)
        if outcome.kind == "reject":
            return _error_response(request, event_name, outcome)
        if outcome.kind == "refuse":
            raise EndpointConnectionError(endpoint_url=request.url)
        if outcome.kind == "slow":
            if self.clock is not None:
                self.clock.advance(min(outcome.seconds, timeout))
            response = botocore_stubber(event_name, request, **kwargs)
            if outcome.seconds < timeout:
                return response
            raise ReadTimeoutError(endpoint_url=request.url)
        botocore_stubber(event_name, request, **kwargs)  # the service acts on it
        if outcome.kind == "crash-after":
            raise Crash(event_name)
        if outcome.kind == "lose":
            raise ReadTimeoutError(endpoint_url=request.url)
        return _error_response(request, event_name, outcome)


def _replace(call: Call, outcome: str, *, reached: bool) -> Call:
    return Call(call.index, call.service, call.operation, call.body, outcome, reached)


def _error_response(request: Any, event_name: str, outcome: Outcome) -> AWSResponse:
    service = event_name.split(".")[1]
    message = f"{outcome.code} (injected)"
    if service == "s3":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{outcome.code}</Code>"
            f"<Message>{message}</Message></Error>"
        ).encode()
        headers = {"Content-Type": "application/xml"}
    else:
        body = json.dumps({"__type": outcome.code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": outcome.code}
    return AWSResponse(
        request.url, outcome.status, HTTPHeaders.from_dict(headers), MockRawResponse(body)
    )
