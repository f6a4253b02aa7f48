"""Submit Batch jobs, retrying throttling and server errors with exponential backoff.

SubmitJob is rate-limited per account, so a burst of uploads is throttled. Throttling
(``TooManyRequestsException``, ``ThrottlingException``, HTTP 429), server errors (HTTP 5xx,
``ServerException``) and connection errors are retried inside the invocation, with "full
jitter" backoff: before attempt ``n + 1`` the submitter sleeps a random time between zero and
``min(max_delay, base_delay * 2 ** (n - 1))``. Other client errors (a missing job definition, an
invalid parameter) fail at once: retrying cannot fix them. The client must be created with
botocore's own retries off (see :func:`.clients.batch`) so that this loop is the only one.

Sleep, randomness and the clock are injectable so that a benchmark can run the loop in
simulated time.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from ..job.contract import JobContract
from ..settings import MAX_ARRAY_SIZE, MIN_ARRAY_SIZE, SUBMIT_MAX_ATTEMPTS

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_batch.type_defs import KeyValuePairTypeDef, SubmitJobRequestTypeDef

    from ..settings import ArrivalSettings

RETRYABLE_ERROR_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "ServerException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)
"""Error codes that a later attempt may not get."""


def is_retryable(error: ClientError | BotoCoreError) -> bool:
    """Whether ``error`` is throttling, a server error or a connection error."""
    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        return True
    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in RETRYABLE_ERROR_CODES or status == 429 or status >= 500


@dataclass(frozen=True)
class Submitted:
    """A job Batch accepted."""

    job_id: str
    """The job ID Batch returned."""
    job_name: str
    """The job name."""
    attempts: int
    """How many SubmitJob calls it took (1 when the first one succeeded)."""

    @property
    def retries(self) -> int:
        """How many calls were retried."""
        return self.attempts - 1


class SubmissionFailed(Exception):
    """Batch did not accept a job, after ``attempts`` calls."""

    def __init__(self, cause: Exception, attempts: int, *, retryable: bool) -> None:
        super().__init__(f"SubmitJob failed after {attempts} attempt(s): {cause}")
        self.cause = cause
        """The last error."""
        self.attempts = attempts
        """How many SubmitJob calls were made."""
        self.retryable = retryable
        """Whether the last error was transient (attempts or time ran out)."""


class Submitter:
    """Submits jobs to one job queue and job definition, retrying transient errors.

    ``deadline`` is a time on ``clock`` after which no retry is started (for the arrival
    function, the end of the invocation, less a margin). ``retries`` counts the retries of every
    call made through this submitter.
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
        )

    def submit(self, contract: JobContract, job_name: str) -> Submitted:
        """Submit one job for one file, with the contract as environment and parameters."""
        return self._submit(
            {
                "jobName": job_name,
                "jobQueue": self._job_queue,
                "jobDefinition": self._job_definition,
                "parameters": contract.parameters(),
                "containerOverrides": {"environment": _env_list(contract.environment())},
            }
        )

    def submit_array(
        self,
        *,
        job_name: str,
        size: int,
        environment: Mapping[str, str],
        parameters: Mapping[str, str],
    ) -> Submitted:
        """Submit one array job of ``size`` children (2 to 10,000)."""
        if not MIN_ARRAY_SIZE <= size <= MAX_ARRAY_SIZE:
            raise ValueError(
                f"an array job has {MIN_ARRAY_SIZE} to {MAX_ARRAY_SIZE:,} children, got {size}"
            )
        return self._submit(
            {
                "jobName": job_name,
                "jobQueue": self._job_queue,
                "jobDefinition": self._job_definition,
                "arrayProperties": {"size": size},
                "parameters": dict(parameters),
                "containerOverrides": {"environment": _env_list(environment)},
            }
        )

    def _submit(self, request: SubmitJobRequestTypeDef) -> Submitted:
        attempt = 1
        while True:
            try:
                response = self._client.submit_job(**request)
            except (ClientError, BotoCoreError) as error:
                retryable = is_retryable(error)
                if not retryable or attempt >= self._max_attempts:
                    raise SubmissionFailed(error, attempt, retryable=retryable) from error
                delay = self._random() * min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
                if self._deadline is not None and self._clock() + delay >= self._deadline:
                    raise SubmissionFailed(error, attempt, retryable=True) from error
                self._sleep(delay)
                attempt += 1
                self.retries += 1
                continue
            return Submitted(response["jobId"], response["jobName"], attempt)


def _env_list(environment: Mapping[str, str]) -> list[KeyValuePairTypeDef]:
    return [{"name": name, "value": value} for name, value in environment.items()]
