"""Helpers of the record tests: the file-records table in moto, and items as the writers leave them."""

from __future__ import annotations

from typing import Any

import boto3

from batch_pipeline_construct.runtime.records import schema
from batch_pipeline_construct.runtime.records.query import RecordsTable

RECORDS_TABLE = "file-records"


def create_records_table(name: str = RECORDS_TABLE) -> RecordsTable:
    """The file-records table as the construct creates it: key, TTL and both indexes."""
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": schema.PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": schema.PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": schema.RUN_ID, "AttributeType": "S"},
            {"AttributeName": schema.JOB_ID, "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": schema.RUN_INDEX,
                "KeySchema": [{"AttributeName": schema.RUN_ID, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": schema.JOB_INDEX,
                "KeySchema": [{"AttributeName": schema.JOB_ID, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE},
    )
    return RecordsTable(client, name)


def put_claim(
    table: RecordsTable,
    key: str,
    *,
    bucket: str = "pipeline-input",
    version_id: str = "v1",
    submitted_job: str | None = None,
    received_at: float | None = None,
) -> str:
    """A record as the arrival function leaves it: claimed, and submitted when ``submitted_job``."""
    partition_key = schema.record_key(bucket, key, version_id=version_id)
    assert partition_key is not None
    item: dict[str, Any] = {
        schema.PARTITION_KEY: {"S": partition_key},
        schema.CLAIM_STATUS: {"S": schema.CLAIM_PENDING},
        schema.CLAIM_TOKEN: {"S": "token"},
        schema.LEASE_UNTIL: {"N": "0"},
        schema.TTL_ATTRIBUTE: {"N": str(10**10)},
        schema.BUCKET: {"S": bucket},
        schema.OBJECT_KEY: {"S": key},
    }
    if received_at is not None:
        item[schema.RECEIVED_AT] = {"N": str(received_at)}
    if submitted_job is not None:
        item[schema.CLAIM_STATUS] = {"S": schema.CLAIM_SUBMITTED}
        item[schema.JOB_ID] = {"S": submitted_job}
        item[schema.JOB_NAME] = {"S": f"file-{key}"}
    table.client.put_item(TableName=table.name, Item=item)
    return partition_key
