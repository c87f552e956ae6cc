"""AccessRecordsTable: one append-only chain, each record's seq one above the last."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item

CHAIN = "access"


def latest() -> dict[str, Any] | None:
    answer = client("dynamodb").query(
        TableName=get_settings().access_records_table,
        KeyConditionExpression="chain = :c",
        ExpressionAttributeValues={":c": {"S": CHAIN}},
        ScanIndexForward=False,
        Limit=1,
        ConsistentRead=True,
    )
    items = answer.get("Items", [])
    return from_item(items[0]) if items else None


def append(record: dict[str, Any]) -> bool:
    """Store ``record`` unless its seq is taken (another writer won the race)."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").put_item(
            TableName=get_settings().access_records_table,
            Item=to_item({"chain": CHAIN, **record}),
            ConditionExpression="attribute_not_exists(seq)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def iterate(from_seq: int = 0) -> Iterator[dict[str, Any]]:
    """Every record from ``from_seq`` in chain order."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=get_settings().access_records_table,
        KeyConditionExpression="chain = :c AND seq >= :s",
        ExpressionAttributeValues={":c": {"S": CHAIN}, ":s": {"N": str(from_seq)}},
        ConsistentRead=True,
    )
    for page in pages:
        for item in page.get("Items", []):
            yield from_item(item)


def first_from(seq: int) -> dict[str, Any] | None:
    """The first record whose seq is ``seq`` or above (records may be gone below retention)."""
    answer = client("dynamodb").query(
        TableName=get_settings().access_records_table,
        KeyConditionExpression="chain = :c AND seq >= :s",
        ExpressionAttributeValues={":c": {"S": CHAIN}, ":s": {"N": str(seq)}},
        Limit=1,
        ConsistentRead=True,
    )
    items = answer.get("Items", [])
    return from_item(items[0]) if items else None
