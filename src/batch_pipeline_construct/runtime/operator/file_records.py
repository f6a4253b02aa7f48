"""The pipeline's per-file record, as the operator commands read it and reopen files in it."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def reopen(table: RecordsTable, ref: ObjectRef, *, states: tuple[str, ...], now: float) -> bool:
    """Forget ``ref``'s claim so the arrival code can claim and submit it again.

    Only a record in one of ``states`` (or, with no ``states``, any record but a claim whose
    submission is still under way) is deleted, with a conditional write, so two operators
    retrying the same file start one job. True when the file may now be claimed.
    """
    from botocore.exceptions import ClientError

    key = record_key_of(ref)
    if key is None:
        return True
    if states:
        placeholders = {f":s{index}": {"S": state} for index, state in enumerate(states)}
        condition = f"#state IN ({', '.join(placeholders)})"
        names = {"#state": schema.STATE}
        values = placeholders
    else:
        condition = "attribute_not_exists(#claim) OR #claim <> :pending OR #lease < :now"
        names = {"#claim": schema.CLAIM_STATUS, "#lease": schema.LEASE_UNTIL}
        values = {":pending": {"S": schema.CLAIM_PENDING}, ":now": {"N": str(int(now))}}
    try:
        table.client.delete_item(
            TableName=table.name,
            Key={schema.PARTITION_KEY: {"S": key}},
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
