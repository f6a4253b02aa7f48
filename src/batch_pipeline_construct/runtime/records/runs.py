"""Runs: the files that arrive together, and the moment a run is finished.

**A run** is the files whose jobs show up one after another with no quiet gap of
``quiet_seconds`` between them. A file joins a run when the record function first sees its job
(its first Batch event, seconds after the arrival function submitted it): it joins the current
run if that run's latest file joined less than ``quiet_seconds`` ago, or else starts a new run.
So a drop of 10,000 files is one run even when submitting it takes minutes, and a file dropped
an hour later starts the next one.

**A run is finished** when every file that joined is in a final state *and* ``quiet_seconds``
have passed since the latest joined (no file can join any more). Then exactly one invocation
claims the report (a conditional write with a lease, so a crashed one is taken over), writes it
and marks the run reported.

Joining and counting are DynamoDB transactions over the file's record and the run item, so a
duplicate event can neither join a file twice nor count its outcome twice; a write lost to a
crash is redone by the event's redelivery, which reconciles the record with its run again.

::

    run#current      current_run = R2                     (the run new files try to join)
    run#R1           files 5  finished 5  reported_at ... (done)
    run#R2           files 3  finished 1  last_seen t     (open until t + quiet_seconds)
    in/a.csv#v=..    run_id R2  state succeeded  run_counted true
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from . import schema
from .config import DEFAULT_QUIET_SECONDS
from .model import RunRecord, run_record
from .schema import FINAL_STATES, FileState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

__all__ = ["REPORT_LEASE_SECONDS", "RunBook", "Wait", "new_run_id"]

REPORT_LEASE_SECONDS = 300
"""How long one invocation holds a run's report before another may take it over."""
_MAX_TRIES = 10
# DynamoDB allows 100 actions in one transaction: this many records and their run's item.
_RECORDS_PER_TRANSACTION = 99
_FAILED = "ConditionalCheckFailed"


@dataclass(frozen=True)
class Wait:
    """Every file of the run is final, but a file may still join for ``seconds``."""

    seconds: float
    """Seconds until the run's quiet gap has passed."""


def new_run_id(now: float) -> str:
    """A new run ID: the start time (UTC) and a random suffix, so IDs sort by start."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}-{uuid.uuid4().hex[:6]}"


class RunBook:
    """Puts files in runs, counts their outcomes and decides when a run is finished."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        quiet_seconds: int = DEFAULT_QUIET_SECONDS,
        retention_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table
        self._quiet_seconds = quiet_seconds
        self._retention_seconds = retention_seconds
        self._clock = clock

    def reconcile(self, items: Sequence[dict[str, Any]]) -> dict[str, str]:
        """Put the records ``items`` in runs and count the final ones there, many per
        transaction; return each record's run (a record that vanished has none)."""
        latest = {item[schema.PARTITION_KEY]["S"]: item for item in items}
        runs = {
            key: str(item[schema.RUN_ID]["S"])
            for key, item in latest.items()
            if schema.RUN_ID in item
        }
        runs.update(self._join([key for key in latest if key not in runs]))
        self._count(
            [
                (key, runs[key], state)
                for key, item in latest.items()
                if key in runs
                and (state := schema.state_of_item(item)) in FINAL_STATES
                and schema.RUN_COUNTED not in item
            ]
        )
        return runs

    def claim_report(self, run_id: str) -> RunRecord | Wait | None:
        """The run, claimed for its report, when it is finished; :class:`Wait` when only its
        quiet gap is left; None when it is not finished, reported, or claimed by another."""
        run = self.get(run_id)
        if run is None or run.reported_at is not None or not run.all_finished or not run.files:
            # A run of no files (its only file retried before the run closed) waits for that
            # file's new job to join it.
            return None
        now = self._clock()
        quiet_until = run.last_seen + self._quiet_seconds
        if now < quiet_until:
            return Wait(quiet_until - now)
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(schema.run_key(run_id)),
                UpdateExpression="SET #claimed = :until",
                ConditionExpression=(
                    "attribute_not_exists(#reported)"
                    " AND (attribute_not_exists(#claimed) OR #claimed < :now)"
                    " AND #files > :none AND #finished >= #files AND #last_seen <= :cutoff"
                ),
                ExpressionAttributeNames={
                    "#claimed": schema.RUN_REPORT_CLAIMED_UNTIL,
                    "#reported": schema.RUN_REPORTED_AT,
                    "#finished": schema.RUN_FINISHED,
                    "#files": schema.RUN_FILES,
                    "#last_seen": schema.RUN_LAST_SEEN,
                },
                ExpressionAttributeValues={
                    ":until": _number(now + REPORT_LEASE_SECONDS),
                    ":now": _number(now),
                    ":cutoff": _number(now - self._quiet_seconds),
                    ":none": _number(0),
                },
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            return None
        return run

    def mark_reported(self, run_id: str, report_uri: str) -> None:
        """Record that run ``run_id``'s report is at ``report_uri`` and its summary was sent."""
        self._client.update_item(
            TableName=self._table,
            Key=_key(schema.run_key(run_id)),
            UpdateExpression="SET #reported = :now, #uri = :uri",
            ExpressionAttributeNames={
                "#reported": schema.RUN_REPORTED_AT,
                "#uri": schema.RUN_REPORT_URI,
            },
            ExpressionAttributeValues={
                ":now": _number(self._clock()),
                ":uri": {"S": report_uri},
            },
        )

    def get(self, run_id: str) -> RunRecord | None:
        """Run ``run_id`` (read consistently), or None."""
        item = self._client.get_item(
            TableName=self._table, Key=_key(schema.run_key(run_id)), ConsistentRead=True
        ).get("Item")
        return None if item is None else run_record(item)

    def _join(self, record_keys: list[str]) -> dict[str, str]:
        joined: dict[str, str] = {}
        pending = list(record_keys)
        failures = 0
        while pending:
            now = self._clock()
            run_id = self._current_run_id()
            if run_id is None:
                self._start_run(now, previous=None)
                continue
            chunk = pending[:_RECORDS_PER_TRANSACTION]
            reasons = self._transact(
                [
                    self._update(
                        key,
                        "SET #run = :run",
                        "attribute_exists(#pk) AND attribute_not_exists(#run)",
                        {"#run": schema.RUN_ID, "#pk": schema.PARTITION_KEY},
                        {":run": {"S": run_id}},
                    )
                    for key in chunk
                ]
                + [
                    self._update(
                        schema.run_key(run_id),
                        "ADD #files :count SET #last_seen = :now, #ttl = :ttl",
                        "attribute_exists(#pk) AND attribute_not_exists(#claimed)"
                        " AND attribute_not_exists(#reported) AND #last_seen >= :cutoff",
                        {
                            "#files": schema.RUN_FILES,
                            "#last_seen": schema.RUN_LAST_SEEN,
                            "#ttl": schema.TTL_ATTRIBUTE,
                            "#pk": schema.PARTITION_KEY,
                            "#claimed": schema.RUN_REPORT_CLAIMED_UNTIL,
                            "#reported": schema.RUN_REPORTED_AT,
                        },
                        {
                            ":count": _number(len(chunk)),
                            ":now": _number(now),
                            ":ttl": _number(now + self._retention_seconds),
                            ":cutoff": _number(now - self._quiet_seconds),
                        },
                    )
                ]
            )
            if reasons is None:
                joined.update(dict.fromkeys(chunk, run_id))
                pending = pending[len(chunk) :]
                continue
            failures += 1
            if failures > _MAX_TRIES:
                raise RuntimeError(f"could not put {len(pending)} records in a run")
            # A record that failed its condition joined a run through another event, or is gone.
            taken = {key for key, code in zip(chunk, reasons, strict=False) if code == _FAILED}
            for key in taken:
                if (run := self._run_of(key)) is not None:
                    joined[key] = run
            pending = [key for key in pending if key not in taken]
            if reasons[len(chunk)] == _FAILED:  # the run has closed
                self._start_run(now, previous=run_id)
        return joined

    def _count(self, finals: list[tuple[str, str, FileState]]) -> None:
        by_run: dict[str, list[tuple[str, FileState]]] = {}
        for key, run_id, state in finals:
            by_run.setdefault(run_id, []).append((key, state))
        for run_id, pending in by_run.items():
            failures = 0
            while pending:
                chunk = pending[:_RECORDS_PER_TRANSACTION]
                reasons = self._transact(
                    [
                        self._update(
                            key,
                            "SET #counted = :yes",
                            "#run = :run AND #state = :state AND attribute_not_exists(#counted)",
                            {
                                "#counted": schema.RUN_COUNTED,
                                "#run": schema.RUN_ID,
                                "#state": schema.STATE,
                            },
                            {
                                ":yes": {"BOOL": True},
                                ":run": {"S": run_id},
                                ":state": {"S": state.value},
                            },
                        )
                        for key, state in chunk
                    ]
                    + [self._run_counts(run_id, [state for _, state in chunk])]
                )
                if reasons is None:
                    pending = pending[len(chunk) :]
                    continue
                failures += 1
                if failures > _MAX_TRIES:
                    raise RuntimeError(f"could not count {len(pending)} records in run {run_id}")
                # Counted already (a duplicate event), or the record moved on: nothing to count.
                taken = {
                    key for (key, _), code in zip(chunk, reasons, strict=False) if code == _FAILED
                }
                pending = [(key, state) for key, state in pending if key not in taken]

    def _run_counts(self, run_id: str, states: list[FileState]) -> TransactWriteItemTypeDef:
        succeeded = sum(state is FileState.SUCCEEDED for state in states)
        return self._update(
            schema.run_key(run_id),
            "ADD #finished :finished, #succeeded :succeeded, #failed :failed"
            " SET #last_finished = :now",
            "attribute_exists(#pk)",
            {
                "#finished": schema.RUN_FINISHED,
                "#succeeded": schema.RUN_SUCCEEDED,
                "#failed": schema.RUN_FAILED,
                "#last_finished": schema.RUN_LAST_FINISHED,
                "#pk": schema.PARTITION_KEY,
            },
            {
                ":finished": _number(len(states)),
                ":succeeded": _number(succeeded),
                ":failed": _number(len(states) - succeeded),
                ":now": _number(self._clock()),
            },
        )

    def _start_run(self, now: float, *, previous: str | None) -> None:
        run_id = new_run_id(now)
        pointer_condition = (
            "attribute_not_exists(#pk)" if previous is None else "#current = :previous"
        )
        pointer_values: dict[str, Any] = {":run": {"S": run_id}}
        if previous is not None:
            pointer_values[":previous"] = {"S": previous}
        self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_key(schema.run_key(run_id)),
                            schema.RUN_FILES: _number(0),
                            schema.RUN_FINISHED: _number(0),
                            schema.RUN_SUCCEEDED: _number(0),
                            schema.RUN_FAILED: _number(0),
                            schema.RUN_FIRST_SEEN: _number(now),
                            schema.RUN_LAST_SEEN: _number(now),
                            schema.TTL_ATTRIBUTE: _number(now + self._retention_seconds),
                        },
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": schema.PARTITION_KEY},
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key(schema.CURRENT_RUN_KEY),
                        "UpdateExpression": "SET #current = :run",
                        "ConditionExpression": pointer_condition,
                        "ExpressionAttributeNames": {
                            "#current": schema.RUN_CURRENT_ID,
                            **({"#pk": schema.PARTITION_KEY} if previous is None else {}),
                        },
                        "ExpressionAttributeValues": pointer_values,
                    }
                },
            ]
        )

    def _current_run_id(self) -> str | None:
        item = self._client.get_item(
            TableName=self._table, Key=_key(schema.CURRENT_RUN_KEY), ConsistentRead=True
        ).get("Item")
        return None if item is None else str(item[schema.RUN_CURRENT_ID]["S"])

    def _run_of(self, record_key: str) -> str | None:
        item = self._client.get_item(
            TableName=self._table, Key=_key(record_key), ConsistentRead=True
        ).get("Item")
        run = None if item is None else item.get(schema.RUN_ID, {}).get("S")
        return None if run is None else str(run)

    def _transact(self, items: list[TransactWriteItemTypeDef]) -> list[str] | None:
        """Write ``items`` in one transaction; None on success, else each item's cancel code."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = _cancellation_codes(error.response.get("CancellationReasons", []))
            return reasons + ["None"] * (len(items) - len(reasons))
        return None

    def _update(
        self,
        key: str,
        expression: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> TransactWriteItemTypeDef:
        return {
            "Update": {
                "TableName": self._table,
                "Key": _key(key),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }


def _cancellation_codes(reasons: Any) -> list[str]:
    return [str(reason.get("Code", "None")) for reason in reasons]


def _key(partition_key: str) -> dict[str, Any]:
    return {schema.PARTITION_KEY: {"S": partition_key}}


def _number(value: float) -> dict[str, str]:
    return {"N": str(int(value)) if float(value).is_integer() else str(value)}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
