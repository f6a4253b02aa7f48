"""The pipeline's per-file record, as the operator commands read it and reopen files in it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import clients
from ..records import schema
from ..records.query import RecordsTable
from ..settings import ArrivalSettings
from .errors import OperatorError

if TYPE_CHECKING:
    from ..arrival.s3_events import ObjectRef

RETRYABLE_STATES = (schema.FileState.FAILED, schema.FileState.DEAD_LETTERED)
"""States ``retry`` takes a file out of."""


def records_table(settings: ArrivalSettings) -> RecordsTable:
    """The pipeline's file-records table; an error when the pipeline keeps none."""
    name = settings.file_records_table
    if not name:
        raise OperatorError(
            "this pipeline keeps no per-file record (ArrivalOptions(file_records=False))"
        )
    return RecordsTable(clients.dynamodb(), name)


def record_key_of(ref: ObjectRef) -> str | None:
    """The record's partition key for ``ref``'s object version."""
    return schema.record_key(
        ref.bucket, ref.key, version_id=ref.version_id, sequencer=ref.sequencer
    )


REOPEN_ATTEMPTS = 5
"""Reads and conditional writes ``reopen`` makes of one file while its record or run changes
under it (the record function counting the file, a transaction conflict) before it gives up."""


def reopen(table: RecordsTable, ref: ObjectRef, *, states: tuple[str, ...], now: float) -> bool:
    """Forget ``ref``'s claim so the arrival code can claim and submit it again.

    Only a record in one of ``states`` (or, with no ``states``, any record but a claim whose
    submission is still under way) is deleted, with a conditional write, so two operators
    retrying the same file start one job. A record in a run that is not reported yet leaves
    that run in the same transaction (its file and, if counted, its outcome are taken off the
    run's counts): the file joins a run again as a new file when its new job shows up, so the
    run counts it once. A reported run keeps its counts, as its report does. Every write
    requires the record as it was read (its run, and whether the run counted it), so a record
    that changes in between is read again, up to ``REOPEN_ATTEMPTS`` times. True when the file
    may now be claimed; False when it may not (no longer in ``states``, or still changing).
    """
    key = record_key_of(ref)
    if key is None:
        return True
    delete = _conditional_delete(table, key, states=states, now=now)
    for _ in range(REOPEN_ATTEMPTS):
        item = table.client.get_item(
            TableName=table.name, Key={schema.PARTITION_KEY: {"S": key}}, ConsistentRead=True
        ).get("Item")
        if item is None or schema.RUN_ID not in item:
            done = _delete_as_read(table, delete, item)
        else:
            done = _leave_open_run(table, delete, item)
        if done is not None:
            return done
    return False


def _conditional_delete(
    table: RecordsTable, key: str, *, states: tuple[str, ...], now: float
) -> dict[str, Any]:
    """The DeleteItem of ``key``'s record, conditioned on ``states`` (see :func:`reopen`)."""
    if states:
        placeholders = {f":s{index}": {"S": state} for index, state in enumerate(states)}
        condition = f"#state IN ({', '.join(placeholders)})"
        names = {"#state": schema.STATE}
        values = placeholders
    else:
        condition = "attribute_not_exists(#claim) OR #claim <> :pending OR #lease < :now"
        names = {"#claim": schema.CLAIM_STATUS, "#lease": schema.LEASE_UNTIL}
        values = {":pending": {"S": schema.CLAIM_PENDING}, ":now": {"N": str(int(now))}}
    return {
        "TableName": table.name,
        "Key": {schema.PARTITION_KEY: {"S": key}},
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _with_condition(
    operation: dict[str, Any], condition: str, names: dict[str, str], values: dict[str, Any]
) -> dict[str, Any]:
    """``operation`` with ``condition`` added to its own (AND)."""
    return {
        **operation,
        "ConditionExpression": f"({operation['ConditionExpression']}) AND {condition}",
        "ExpressionAttributeNames": {**operation["ExpressionAttributeNames"], **names},
        "ExpressionAttributeValues": {**operation["ExpressionAttributeValues"], **values},
    }


def _delete_as_read(
    table: RecordsTable, delete: dict[str, Any], item: dict[str, Any] | None, run_id: str = ""
) -> bool | None:
    """Delete the record while it is in no run (``item`` without one, or no record), or still
    in run ``run_id`` (a reported run, whose counts stay). True when deleted, False when its
    state forbids, None when it joined a run meanwhile (read it again)."""
    from botocore.exceptions import ClientError

    if run_id:
        condition, values = "#run = :run", {":run": {"S": run_id}}
    else:
        condition, values = "attribute_not_exists(#run)", {}
    try:
        table.client.delete_item(
            **_with_condition(delete, condition, {"#run": schema.RUN_ID}, values)
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        if item is None:
            return False
        return None if _still_reopenable(table, delete) else False
    return True


def _still_reopenable(table: RecordsTable, delete: dict[str, Any]) -> bool:
    """Whether the record still meets ``delete``'s own condition (its state), checked by
    DynamoDB (a ConditionCheck): a write refused for another reason (the record joined a run,
    or the run counted it) is worth another read."""
    from botocore.exceptions import ClientError

    check = {
        name: delete[name]
        for name in (
            "TableName",
            "Key",
            "ConditionExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
        )
    }
    try:
        table.client.transact_write_items(TransactItems=[{"ConditionCheck": check}])  # type: ignore[typeddict-item]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            return False
        raise
    return True


def _leave_open_run(
    table: RecordsTable, delete: dict[str, Any], item: dict[str, Any]
) -> bool | None:
    """Delete the record (``delete``) and take it off its run's counts, in one transaction,
    while the record is still as read (``item``) and its run not reported nor being reported.
    A reported run keeps its counts: the record alone is deleted. True when deleted, False
    when its state forbids, None when the record or run changed meanwhile (read it again)."""
    from botocore.exceptions import ClientError

    run_id = item[schema.RUN_ID]["S"]
    counted = schema.RUN_COUNTED in item
    minus = {"N": "-1"}
    counters = {"#files": schema.RUN_FILES}
    if counted:
        counters["#finished"] = schema.RUN_FINISHED
        succeeded = schema.state_of_item(item) is schema.FileState.SUCCEEDED
        counters["#outcome"] = schema.RUN_SUCCEEDED if succeeded else schema.RUN_FAILED
    record_condition = "#run = :run AND " + (
        "attribute_exists(#counted)" if counted else "attribute_not_exists(#counted)"
    )
    transaction: list[dict[str, Any]] = [
        {
            "Delete": _with_condition(
                delete,
                record_condition,
                {"#run": schema.RUN_ID, "#counted": schema.RUN_COUNTED},
                {":run": {"S": run_id}},
            )
        },
        {
            "Update": {
                "TableName": table.name,
                "Key": {schema.PARTITION_KEY: {"S": schema.run_key(run_id)}},
                "UpdateExpression": "ADD " + ", ".join(f"{name} :minus" for name in counters),
                "ConditionExpression": "attribute_exists(#pk)"
                " AND attribute_not_exists(#reported) AND attribute_not_exists(#claimed)",
                "ExpressionAttributeNames": {
                    **counters,
                    "#pk": schema.PARTITION_KEY,
                    "#reported": schema.RUN_REPORTED_AT,
                    "#claimed": schema.RUN_REPORT_CLAIMED_UNTIL,
                },
                "ExpressionAttributeValues": {":minus": minus},
            }
        },
    ]
    try:
        table.client.transact_write_items(TransactItems=transaction)  # type: ignore[arg-type]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        record, run = [
            reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])
        ] or ["", ""]
        if record == "None" and run == "ConditionalCheckFailed":
            return _delete_as_read(table, delete, item, run_id=run_id)
        if record == "ConditionalCheckFailed" and not _still_reopenable(table, delete):
            return False
        return None
    return True
