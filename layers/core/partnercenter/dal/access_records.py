"""AccessRecordsTable: several append-only chains (``chain`` = ``access#0`` ...), each
record's seq one above the last of its chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item


def latest(chain: str) -> dict[str, Any] | None:
    """The chain's head: its record with the highest seq."""
    answer = client("dynamodb").query(
        TableName=get_settings().access_records_table,
        KeyConditionExpression="chain = :c",
        ExpressionAttributeValues={":c": {"S": chain}},
        ScanIndexForward=False,
        Limit=1,
        ConsistentRead=True,
    )
    items = answer.get("Items", [])
    return from_item(items[0]) if items else None


def get(chain: str, seq: int) -> dict[str, Any] | None:
    answer = client("dynamodb").get_item(
        TableName=get_settings().access_records_table,
        Key={"chain": {"S": chain}, "seq": {"N": str(seq)}},
        ConsistentRead=True,
    )
    return from_item(answer["Item"]) if "Item" in answer else None


def append(record: dict[str, Any]) -> bool:
    """Store ``record`` (it names its chain) unless its seq is taken: another writer won."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").put_item(
            TableName=get_settings().access_records_table,
            Item=to_item(record),
            ConditionExpression="attribute_not_exists(seq)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def iterate(
    chain: str, after_seq: int = 0, through_seq: int | None = None
) -> Iterator[dict[str, Any]]:
    """The chain's records above ``after_seq`` (up to ``through_seq``), in seq order."""
    condition, values = "chain = :c AND seq > :s", {":s": {"N": str(after_seq)}}
    if through_seq is not None:
        condition = "chain = :c AND seq BETWEEN :s AND :t"
        values = {":s": {"N": str(after_seq + 1)}, ":t": {"N": str(through_seq)}}
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=get_settings().access_records_table,
        KeyConditionExpression=condition,
        ExpressionAttributeValues={":c": {"S": chain}, **values},
        ConsistentRead=True,
    )
    for page in pages:
        for item in page.get("Items", []):
            yield from_item(item)
