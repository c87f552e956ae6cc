"""AccessAnchorsTable (``series``, ``seq``; LSI ``byTime`` on ``at``): the anchors of the
access-record chains, written once each (R-SEC-2). Only the anchoring job's role may put here,
and no role may update or delete. Domain code sees ``AccessAnchorRecord``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.access_records import canonical
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item

SERIES = "access"
BY_TIME = "byTime"


@dataclass(frozen=True)
class ChainHead:
    """A chain's newest record as an anchor committed to it (seq 0: the chain was empty)."""

    seq: int
    mac: str


@dataclass(frozen=True)
class AccessAnchorRecord:
    """Every chain's head at ``at``; ``mac`` chains the anchor to the one before."""

    seq: int
    at: str
    heads: Mapping[str, ChainHead]
    prev_mac: str
    mac: str = ""
    # As read: the text of the item as stored, so a changed anchor never verifies (see
    # ``AccessRecord.stored_text``); not copied by ``replace``.
    stored_text: str | None = field(default=None, init=False, compare=False, repr=False)

    def signed_text(self) -> str:
        """What the anchor's ``mac`` covers."""
        return self.stored_text if self.stored_text is not None else canonical(_values(self))


def _values(anchor: AccessAnchorRecord) -> dict[str, Any]:
    values = {
        "seq": anchor.seq,
        "at": anchor.at,
        "heads": {c: {"seq": h.seq, "mac": h.mac} for c, h in anchor.heads.items()},
        "prevMac": anchor.prev_mac,
    }
    return {**values, "mac": anchor.mac} if anchor.mac else values


def _head(values: Any) -> ChainHead:
    return ChainHead(seq=int(values.get("seq", -1)), mac=str(values.get("mac", "")))


def _anchor(item: dict[str, Any]) -> AccessAnchorRecord:
    values = {k: v for k, v in from_item(item).items() if k != "series"}
    anchor = AccessAnchorRecord(
        seq=int(values["seq"]),
        at=str(values.get("at", "")),
        heads={str(c): _head(h) for c, h in dict(values.get("heads") or {}).items()},
        prev_mac=str(values.get("prevMac", "")),
        mac=str(values.get("mac", "")),
    )
    object.__setattr__(anchor, "stored_text", canonical(values))
    return anchor


def _table() -> str:
    table = get_settings().access_anchors_table
    if not table:
        raise RuntimeError("ACCESS_ANCHORS_TABLE is not configured")
    return table


def _one(**params: Any) -> AccessAnchorRecord | None:
    answer = client("dynamodb").query(TableName=_table(), Limit=1, **params)
    items = answer.get("Items", [])
    return _anchor(items[0]) if items else None


def latest() -> AccessAnchorRecord | None:
    return _one(
        KeyConditionExpression="series = :s",
        ExpressionAttributeValues={":s": {"S": SERIES}},
        ScanIndexForward=False,
        ConsistentRead=True,
    )


def last_at_or_before(at: str) -> AccessAnchorRecord | None:
    """The latest anchor stamped at or before ``at`` (ISO text, sortable)."""
    return _one(
        IndexName=BY_TIME,
        KeyConditionExpression="series = :s AND #at <= :t",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":s": {"S": SERIES}, ":t": {"S": at}},
        ScanIndexForward=False,
        ConsistentRead=True,
    )


def first_at_or_after(at: str) -> AccessAnchorRecord | None:
    """The earliest anchor stamped at or after ``at``."""
    return _one(
        IndexName=BY_TIME,
        KeyConditionExpression="series = :s AND #at >= :t",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":s": {"S": SERIES}, ":t": {"S": at}},
        ConsistentRead=True,
    )


def since(first_seq: int, last_seq: int | None = None) -> Iterator[AccessAnchorRecord]:
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
            yield _anchor(item)


def put_new(anchor: AccessAnchorRecord) -> bool:
    """Write ``anchor`` unless its seq exists (anchors are never replaced)."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").put_item(
            TableName=_table(),
            Item=to_item({"series": SERIES, **_values(anchor)}),
            ConditionExpression="attribute_not_exists(seq)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
