"""AccessAnchorsTable (``series``, ``seq``; LSI ``byTime`` on ``at``): the anchors of the
access-record chains, written once each (R-SEC-2). Only the anchoring job's role may put here,
and no role may update or delete."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item

SERIES = "access"
BY_TIME = "byTime"


def _table() -> str:
    table = get_settings().access_anchors_table
    if not table:
        raise RuntimeError("ACCESS_ANCHORS_TABLE is not configured")
    return table


def _one(**params: Any) -> dict[str, Any] | None:
    answer = client("dynamodb").query(TableName=_table(), Limit=1, **params)
    items = answer.get("Items", [])
    return from_item(items[0]) if items else None


def latest() -> dict[str, Any] | None:
    return _one(
        KeyConditionExpression="series = :s",
        ExpressionAttributeValues={":s": {"S": SERIES}},
        ScanIndexForward=False,
        ConsistentRead=True,
    )


def last_at_or_before(at: str) -> dict[str, Any] | None:
    """The latest anchor stamped at or before ``at`` (ISO text, sortable)."""
    return _one(
        IndexName=BY_TIME,
        KeyConditionExpression="series = :s AND #at <= :t",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":s": {"S": SERIES}, ":t": {"S": at}},
        ScanIndexForward=False,
        ConsistentRead=True,
    )


def first_at_or_after(at: str) -> dict[str, Any] | None:
    """The earliest anchor stamped at or after ``at``."""
    return _one(
        IndexName=BY_TIME,
        KeyConditionExpression="series = :s AND #at >= :t",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":s": {"S": SERIES}, ":t": {"S": at}},
        ConsistentRead=True,
    )


def since(first_seq: int, last_seq: int | None = None) -> Iterator[dict[str, Any]]:
    """Anchors ``first_seq`` to ``last_seq`` (or the latest) in order; a gap shows as a
    missing seq."""
    last = last_seq if last_seq is not None else 2**62
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=_table(),
            KeyConditionExpression="series = :s AND seq BETWEEN :a AND :b",
            ExpressionAttributeValues={
                ":s": {"S": SERIES},
                ":a": {"N": str(first_seq)},
                ":b": {"N": str(last)},
            },
            ConsistentRead=True,
        )
    )
    for page in pages:
        for item in page.get("Items", []):
            yield from_item(item)


def put_new(anchor: dict[str, Any]) -> bool:
    """Write ``anchor`` unless its seq exists (anchors are never replaced)."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").put_item(
            TableName=_table(),
            Item=to_item({"series": SERIES, **anchor}),
            ConditionExpression="attribute_not_exists(seq)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
