"""Apply Batch's job state changes to the files' records, whatever order they arrive in.

*Which records.* A per-file job names its object version in its parameters (``inputBucket``,
``inputKey``, ``versionId``), which give the record's key. Otherwise (a child of an array job, a
bucket without versioning) the :data:`.schema.JOB_INDEX` index finds the records whose
:data:`.schema.JOB_ID` is the event's job, as the arrival function marked them. An array
parent's events change no record: each child has events of its own.

*Which events.* Every write is one conditional ``UpdateItem``, applied only when

* the record exists and names no job or this job (an event of a job that a retry replaced is
  stale);
* the job's final event (``SUCCEEDED``, ``FAILED``) has not been applied yet;
* for a non-final event, it is later than the last one applied: a later ``time``, or the same
  second and a later status in :data:`.schema.BATCH_STATUS_RANK`.

* the job was created after the record's file was received (less :data:`CLOCK_SKEW_SECONDS`):
  after ``retry`` or ``reprocess`` reopened a record, a late event of the job that ran the file
  before belongs to that earlier run, not to the new claim.

So a duplicate changes nothing, a late ``RUNNING`` after ``SUCCEEDED`` changes nothing, and a
retried attempt (``RUNNING`` then, seconds later, ``RUNNABLE`` again) is followed. Each write also
pushes the record's TTL to the retention period after now.

*Packed array children.* A child's final event sets each of its files from the file's own
outcome, which the child wrote beside the manifest (:mod:`.outcomes`): one GET per child, and
the same conditional write per file, so duplicates and late events are still no-ops.

A final event for a job no record names yet is raised as :class:`RecordNotYetMarked` while the
job is younger than :data:`MARK_GRACE_SECONDS` (the arrival function marks a claim just after
SubmitJob returns, so the message is retried); an older one belongs to no file of this
pipeline's records and is ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from ..job.contract import MANIFEST_URI_PARAMETER, output_prefix
from . import schema
from .events import JobEvent
from .outcomes import ChildOutcomeReader, OutcomesOfChild, record_fields
from .schema import FINAL_RANK, STATE_OF_BATCH_STATUS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "CLOCK_SKEW_SECONDS",
    "MARK_GRACE_SECONDS",
    "Applied",
    "RecordNotYetMarked",
    "RecordWriter",
]

MARK_GRACE_SECONDS = 300.0
"""How long after a job's creation its final event may still find no record to update."""
CLOCK_SKEW_SECONDS = 60
"""How far Batch's ``createdAt`` may be behind the arrival function's clock for a job submitted
after the file was received. Generous: a real job's events wrongly taken for stale would leave
its file unfinished for good, while a stale job created this close before a retry reopened the
file would have had to fail and be retried within the minute."""


class RecordNotYetMarked(Exception):
    """A young job's final event found no record naming it yet; retry the event later."""


@dataclass(frozen=True)
class Applied:
    """What an event did to one record."""

    record_key: str
    """The record's partition key."""
    changed: bool
    """Whether the event was applied (False: a duplicate, late or stale event)."""
    item: dict[str, Any]
    """The record after the event (low-level DynamoDB item); empty when the event is stale (the
    record names another job, or none yet) or the record is gone."""


class RecordWriter:
    """Writes job state changes into the file-records table."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        output_bucket: str,
        output_root_prefix: str = "",
        retention_seconds: int,
        log_group: str | None = None,
        outcomes: ChildOutcomeReader | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._outcomes = outcomes
        self._table = table
        self._output_bucket = output_bucket
        self._output_root_prefix = output_root_prefix
        self._retention_seconds = retention_seconds
        self._log_group = log_group
        self._clock = clock

    def apply(self, event: JobEvent) -> list[Applied]:
        """Apply ``event`` to the records of its files; an empty list when it names none."""
        if event.is_array_parent:
            return []
        keys = self._record_keys(event)
        if not keys:
            young = event.created_at is None or (
                self._clock() - event.created_at < MARK_GRACE_SECONDS
            )
            if event.rank == FINAL_RANK and young:
                raise RecordNotYetMarked(f"no record names job {event.job_id} yet")
            return []
        outcomes = self._outcomes_of(event)
        return [
            self._apply_to(key, event, None if outcomes is None else outcomes.of(key))
            for key in keys
        ]

    def _outcomes_of(self, event: JobEvent) -> OutcomesOfChild | None:
        """The per-file outcomes of an array child that reached its final state."""
        manifest_uri = event.parameters.get(MANIFEST_URI_PARAMETER)
        if (
            self._outcomes is None
            or manifest_uri is None
            or event.array_index is None
            or event.rank != FINAL_RANK
        ):
            return None
        return self._outcomes.read(manifest_uri, event.array_index)

    def _record_keys(self, event: JobEvent) -> list[str]:
        params = event.parameters
        if event.array_index is None and {"inputBucket", "inputKey", "versionId"} <= set(params):
            key = schema.record_key(
                params["inputBucket"], params["inputKey"], version_id=params["versionId"]
            )
            return [key] if key is not None else []
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=schema.JOB_INDEX,
            KeyConditionExpression="#job = :job",
            ExpressionAttributeNames={"#job": schema.JOB_ID},
            ExpressionAttributeValues={":job": {"S": event.job_id}},
        )
        return [item[schema.PARTITION_KEY]["S"] for page in pages for item in page.get("Items", [])]

    def _apply_to(
        self, record_key: str, event: JobEvent, outcome: Mapping[str, Any] | None
    ) -> Applied:
        now = self._clock()
        fields: dict[str, dict[str, str]] = {
            schema.STATE: {"S": STATE_OF_BATCH_STATUS[event.status].value},
            schema.BATCH_STATUS: {"S": event.status},
            schema.STATUS_RANK: {"N": str(event.rank)},
            schema.EVENT_TIME: {"S": event.time},
            schema.JOB_ID: {"S": event.job_id},
            schema.ATTEMPTS: {"N": str(event.attempts)},
            schema.OUTPUT_URI: {"S": self._output_uri(record_key, event)},
            schema.UPDATED_AT: {"N": str(int(now))},
            schema.TTL_ATTRIBUTE: {"N": str(int(now) + self._retention_seconds)},
        }
        optional: dict[str, str | int | float | None] = {
            schema.JOB_NAME: event.job_name or None,
            schema.ARRAY_INDEX: event.array_index,
            schema.EXIT_CODE: event.exit_code,
            schema.STATUS_REASON: event.status_reason,
            schema.LOG_GROUP: event.log_group or self._log_group,
            schema.LOG_STREAM: event.log_stream,
            schema.SUBMITTED_AT: event.created_at,
            schema.STARTED_AT: event.started_at,
            schema.FINISHED_AT: event.stopped_at if event.rank == FINAL_RANK else None,
            schema.MANIFEST_URI: event.parameters.get(MANIFEST_URI_PARAMETER)
            if event.array_index is not None
            else None,
        }
        if outcome is not None:
            own = record_fields(outcome)
            if own[schema.LOG_GROUP] is None:
                del own[schema.LOG_GROUP]
            for name in own:
                fields.pop(name, None)
            optional.update(own)
        for name, value in optional.items():
            if isinstance(value, str):
                fields[name] = {"S": value}
            elif value is not None:
                fields[name] = {"N": str(value)}
        names = {f"#a{index}": name for index, name in enumerate(fields)}
        values = {f":a{index}": value for index, value in enumerate(fields.values())}
        condition = (
            "attribute_exists(#pk) AND (attribute_not_exists(#job) OR #job = :job)"
            " AND (attribute_not_exists(#rank) OR #rank < :final)"
        )
        condition_names: dict[str, str] = {}
        if event.created_at is not None:
            condition_names["#received"] = schema.RECEIVED_AT
            condition += " AND (attribute_not_exists(#received) OR #received <= :created)"
            values[":created"] = {"N": str(int(event.created_at) + CLOCK_SKEW_SECONDS)}
        if event.rank != FINAL_RANK:
            condition_names["#time"] = schema.EVENT_TIME
            condition += (
                " AND (attribute_not_exists(#time) OR #time < :time"
                " OR (#time = :time AND #rank < :rank))"
            )
            values[":time"] = {"S": event.time}
            values[":rank"] = {"N": str(event.rank)}
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={schema.PARTITION_KEY: {"S": record_key}},
                UpdateExpression="SET " + ", ".join(f"{n} = :{n[1:]}" for n in names),
                ConditionExpression=condition,
                ExpressionAttributeNames={
                    **names,
                    "#pk": schema.PARTITION_KEY,
                    "#job": schema.JOB_ID,
                    "#rank": schema.STATUS_RANK,
                    **condition_names,
                },
                ExpressionAttributeValues={
                    **values,
                    ":job": {"S": event.job_id},
                    ":final": {"N": str(FINAL_RANK)},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = cast("dict[str, Any]", error.response.get("Item", {}))
            if old.get(schema.JOB_ID, {}).get("S") != event.job_id:
                old = {}  # stale: the record is another job's (or a new claim's), not this one's
            return Applied(record_key, False, old)
        return Applied(record_key, True, dict(response.get("Attributes", {})))

    def _output_uri(self, record_key: str, event: JobEvent) -> str:
        given = event.parameters.get("outputUri")
        if given is not None and event.array_index is None:
            return given
        _, key = schema.object_of_record_key(record_key)
        return f"s3://{self._output_bucket}/{output_prefix(key, self._output_root_prefix)}"
