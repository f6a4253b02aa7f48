"""Submit Batch jobs: retry what was certainly refused, look up what may have been created.

SubmitJob is rate-limited per account, so a burst of uploads is throttled. An error is one of:

* **refused** (throttling: ``TooManyRequestsException``, ``ThrottlingException``, HTTP 429; or a
  connection that could not be made): no job exists, so the call is retried with "full jitter"
  backoff: before attempt ``n + 1`` the submitter sleeps a random time between zero and
  ``min(max_delay, base_delay * 2 ** (n - 1))``;
* **answered, outcome unknown** (HTTP 5xx, ``ServerException``): Batch answered, so it is done
  with the request, but it may have created the job. After the backoff the job is looked up by
  name (:mod:`.lookup`); a job found is the result, otherwise the call is retried;
* **pending, outcome unknown** (read timeout, connection closed): Batch may still be creating
  the job, so neither a lookup nor a retry now can be trusted. The submission stops with
  :attr:`SubmissionFailed.unknown` set; the caller keeps its claim, and the next delivery, after
  the claim's lease, looks the job up (see :mod:`.idempotency`);
* **fatal** (any other client error: a missing job definition, an invalid parameter): no retry
  can fix it.

No call starts unless the worst case of that call (:func:`.clients.worst_case_seconds`) ends
before ``deadline``, so the invocation never outlives its Lambda timeout in a SubmitJob. The
client must be created with one attempt per call (:func:`.clients.batch`), so this loop is the
only one. Sleep, randomness and the clock are injectable so that a benchmark can run the loop in
simulated time.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from .. import clients
from ..job.contract import JobContract
from ..settings import MAX_ARRAY_SIZE, MIN_ARRAY_SIZE, SUBMIT_MAX_ATTEMPTS
from ..sizing import SIZE_CLASS_PARAMETER, SizeClass, class_index, class_label
from .lookup import JobLookup

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_batch.type_defs import (
        ContainerOverridesTypeDef,
        KeyValuePairTypeDef,
        SubmitJobRequestTypeDef,
    )

    from ..settings import ArrivalSettings

THROTTLING_ERROR_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"}
)
"""Error codes of a call refused for the rate limit (nothing was created)."""
SERVER_ERROR_CODES = frozenset(
    {"ServerException", "InternalServerError", "InternalFailure", "ServiceUnavailable"}
)
"""Error codes of a server-side failure (the job may or may not exist)."""

ErrorKind = Literal["refused", "answered", "pending", "fatal"]


def classify(error: ClientError | BotoCoreError) -> ErrorKind:
    """What ``error`` says about the job (see the module documentation)."""
    if isinstance(error, BotoConnectionError):
        return "refused"
    if isinstance(error, HTTPClientError):
        return "pending"
    if not isinstance(error, ClientError):
        return "fatal"
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in THROTTLING_ERROR_CODES or status == 429:
        return "refused"
    if code in SERVER_ERROR_CODES or status >= 500:
        return "answered"
    return "fatal"


def is_retryable(error: ClientError | BotoCoreError) -> bool:
    """Whether a later call may succeed where ``error`` failed (any kind but fatal)."""
    return classify(error) != "fatal"


class OutOfTime(Exception):
    """Too little of the invocation is left for the call's worst case."""


@dataclass(frozen=True)
class Submitted:
    """A job Batch accepted."""

    job_id: str
    """The job ID Batch returned."""
    job_name: str
    """The job name."""
    attempts: int
    """How many SubmitJob calls it took (1 when the first one succeeded)."""
    found: bool = False
    """Whether the job was found by a lookup after an unknown outcome, not returned by SubmitJob."""
    array_size: int | None = None
    """Its number of children, for an array job found by a lookup."""

    @property
    def retries(self) -> int:
        """How many calls were retried."""
        return self.attempts - 1


class SubmissionFailed(Exception):
    """Batch did not accept a job, after ``attempts`` calls."""

    def __init__(
        self, cause: Exception, attempts: int, *, retryable: bool, unknown: bool = False
    ) -> None:
        state = "outcome unknown" if unknown else "failed"
        super().__init__(f"SubmitJob {state} after {attempts} attempt(s): {cause}")
        self.cause = cause
        """The last error."""
        self.attempts = attempts
        """How many SubmitJob calls were made."""
        self.retryable = retryable
        """Whether the last error was transient (attempts or time ran out)."""
        self.unknown = unknown
        """Whether Batch may have created the job: the claim must be kept for a later lookup."""


class Submitter:
    """Submits jobs to one job queue and job definition, retrying transient errors.

    ``deadline`` is a time on ``clock`` by which every call must have ended (for the arrival
    function, the end of the invocation, less a margin); ``lookup`` finds a job whose submission
    got a server error. ``retries`` counts the retries of every call made through this submitter.
    """

    def __init__(
        self,
        client: BatchClient,
        *,
        job_queue: str,
        job_definition: str,
        max_attempts: int = SUBMIT_MAX_ATTEMPTS,
        base_delay: float = 0.1,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        clock: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
        lookup: JobLookup | None = None,
        sizes: Sequence[SizeClass] = (),
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self._client = client
        self._job_queue = job_queue
        self._job_definition = job_definition
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._random = random
        self._clock = clock
        self._deadline = deadline
        self._call_seconds = clients.worst_case_seconds(client)
        self.sizes = tuple(sizes)
        """The sizing classes jobs are submitted with (none: the job definition's resources)."""
        self.lookup = lookup
        """Finds jobs by name after an unknown outcome."""
        self.retries = 0
        """Retries made so far, over every call."""

    @classmethod
    def from_settings(
        cls,
        settings: ArrivalSettings,
        client: BatchClient,
        *,
        max_attempts: int = SUBMIT_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        clock: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
    ) -> Submitter:
        """A submitter for the pipeline's job queue and job definition (latest revision)."""
        return cls(
            client,
            job_queue=settings.job_queue_arn,
            job_definition=settings.job_definition_name,
            max_attempts=max_attempts,
            sleep=sleep,
            random=random,
            clock=clock,
            deadline=deadline,
            lookup=JobLookup(client, settings.job_queue_arn),
            sizes=settings.job_sizes,
        )

    def time_for_a_call(self) -> bool:
        """Whether one Batch call, at its worst, ends before the deadline."""
        return self._deadline is None or self._clock() + self._call_seconds <= self._deadline

    def find(self, job_name: str) -> Submitted | None:
        """The job named ``job_name``, if Batch has it (one ListJobs call).

        Raises :class:`OutOfTime` when the call might outlive the deadline, or botocore's error.
        """
        if self.lookup is None:
            return None
        if not self.time_for_a_call():
            raise OutOfTime(f"less than {self._call_seconds:g} s left for ListJobs")
        found = self.lookup.find(job_name)
        if found is None:
            return None
        return Submitted(found.job_id, found.job_name, 0, found=True, array_size=found.array_size)

    def size_class(self, size: int | None) -> int | None:
        """The index of the sizing class of an object of ``size`` bytes (None: no class)."""
        return class_index(self.sizes, size)

    def submit(self, contract: JobContract, job_name: str) -> Submitted:
        """Submit one job for one file, with the contract as environment and parameters and
        the resources of the file's sizing class."""
        return self._submit(
            self._sized(
                {
                    "jobName": job_name,
                    "jobQueue": self._job_queue,
                    "jobDefinition": self._job_definition,
                    "parameters": contract.parameters(),
                },
                contract.environment(),
                self.size_class(contract.input_size),
            )
        )

    def submit_array(
        self,
        *,
        job_name: str,
        size: int,
        environment: Mapping[str, str],
        parameters: Mapping[str, str],
        size_class: int | None = None,
    ) -> Submitted:
        """Submit one array job of ``size`` children (2 to 10,000), with the resources of the
        sizing class ``size_class`` (an index into :attr:`sizes`) when given."""
        if not MIN_ARRAY_SIZE <= size <= MAX_ARRAY_SIZE:
            raise ValueError(
                f"an array job has {MIN_ARRAY_SIZE} to {MAX_ARRAY_SIZE:,} children, got {size}"
            )
        return self._submit(
            self._sized(
                {
                    "jobName": job_name,
                    "jobQueue": self._job_queue,
                    "jobDefinition": self._job_definition,
                    "arrayProperties": {"size": size},
                    "parameters": dict(parameters),
                },
                environment,
                size_class,
            )
        )

    def _sized(
        self,
        request: SubmitJobRequestTypeDef,
        environment: Mapping[str, str],
        size_class: int | None,
    ) -> SubmitJobRequestTypeDef:
        """``request`` with its container overrides: ``environment`` and, for a sizing class,
        its resources (and its label as a parameter, to show in the console)."""
        overrides: ContainerOverridesTypeDef = {"environment": _env_list(environment)}
        if size_class is not None:
            overrides["resourceRequirements"] = self.sizes[size_class].resource_requirements()
            request["parameters"] = {
                **request.get("parameters", {}),
                SIZE_CLASS_PARAMETER: class_label(size_class),
            }
        request["containerOverrides"] = overrides
        return request

    def _submit(self, request: SubmitJobRequestTypeDef) -> Submitted:
        name = request["jobName"]
        attempt = 0
        while True:
            if not self.time_for_a_call():
                raise SubmissionFailed(
                    OutOfTime(f"less than {self._call_seconds:g} s left for SubmitJob"),
                    attempt,
                    retryable=True,
                )
            attempt += 1
            try:
                response = self._client.submit_job(**request)
            except (ClientError, BotoCoreError) as error:
                kind = classify(error)
                if kind in ("fatal", "pending"):
                    raise SubmissionFailed(
                        error, attempt, retryable=kind == "pending", unknown=kind == "pending"
                    ) from error
                delay = self._random() * min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
                out_of_attempts = attempt >= self._max_attempts
                if not out_of_attempts:
                    self._sleep(delay)
                if kind == "answered":
                    found = self._find_after(error, name, attempt)
                    if found is not None:
                        return Submitted(found.job_id, found.job_name, attempt, found=True)
                if out_of_attempts:
                    raise SubmissionFailed(error, attempt, retryable=True) from error
                self.retries += 1
                continue
            return Submitted(response["jobId"], response["jobName"], attempt)

    def _find_after(self, error: Exception, job_name: str, attempts: int) -> Submitted | None:
        """Look the job up after a server error; its outcome stays unknown if that fails."""
        try:
            return self.find(job_name)
        except (OutOfTime, ClientError, BotoCoreError) as lookup_error:
            raise SubmissionFailed(lookup_error, attempts, retryable=True, unknown=True) from error


def _env_list(environment: Mapping[str, str]) -> list[KeyValuePairTypeDef]:
    return [{"name": name, "value": value} for name, value in environment.items()]
