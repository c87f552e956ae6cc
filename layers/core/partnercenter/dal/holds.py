"""RetentionHoldsTable: a subject's retention holds, plus one version row per live member.

The version row (``holdId`` = ``#version``) exists only while the member is live: every hold
change bumps it, and the withdrawal deletes it conditioned on the version it read, so a hold
added or released during a withdrawal cancels that withdrawal instead of being missed. Once
withdrawn, the retained record's ``holdVersion`` plays that part (dal.retained).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from partnercenter.clock import parse_iso
from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.transactions import Entry

VERSION_ROW = "#version"


@dataclass(frozen=True)
class HoldRecord:
    """One retention hold: why a subject's items outlive a withdrawal, and how long."""

    hold_id: str
    kind: str
    reason: str
    items: tuple[str, ...]
    start_at: str
    until: str | None = None
    statute: str | None = None
    released_at: str | None = None

    @property
    def end(self) -> str | None:
        """When the hold stops keeping its items; None while it is open."""
        return self.until or self.released_at

    def in_force(self, now: datetime) -> bool:
        return self.released_at is None and (self.until is None or parse_iso(self.until) > now)


def _table() -> str:
    return get_settings().holds_table


def _key(member_id: str, hold_id: str) -> dict[str, Any]:
    return {"subject": {"S": member_id}, "holdId": {"S": hold_id}}


def _to_item(member_id: str, hold: HoldRecord) -> dict[str, Any]:
    return to_item(
        {
            "subject": member_id,
            "holdId": hold.hold_id,
            "kind": hold.kind,
            "reason": hold.reason,
            "items": list(hold.items),
            "startAt": hold.start_at,
            "until": hold.until,
            "statute": hold.statute,
            "releasedAt": hold.released_at,
        }
    )


def _from_item(item: dict[str, Any]) -> HoldRecord:
    row = from_item(item)
    return HoldRecord(
        hold_id=row["holdId"],
        kind=row["kind"],
        reason=row["reason"],
        items=tuple(row.get("items", ())),
        start_at=row["startAt"],
        until=row.get("until"),
        statute=row.get("statute"),
        released_at=row.get("releasedAt"),
    )


def query_holds(member_id: str) -> tuple[list[HoldRecord], int | None]:
    """The subject's holds and its version row's version (None: no version row)."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=_table(),
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": member_id}},
        ConsistentRead=True,
    )
    holds: list[HoldRecord] = []
    version: int | None = None
    for page in pages:
        for item in page.get("Items", []):
            if item["holdId"]["S"] == VERSION_ROW:
                version = int(item["version"]["N"])
            else:
                holds.append(_from_item(item))
    return holds, version


def get_hold(member_id: str, hold_id: str) -> HoldRecord | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_table(), Key=_key(member_id, hold_id), ConsistentRead=True)
        .get("Item")
    )
    return _from_item(item) if item else None


def put_new(member_id: str, hold: HoldRecord) -> Entry:
    """A new hold (never one that replaces another)."""
    return Entry(
        {
            "Put": {
                "TableName": _table(),
                "Item": _to_item(member_id, hold),
                "ConditionExpression": "attribute_not_exists(holdId)",
            }
        }
    )


def release_if_open(member_id: str, hold_id: str, released_at: str) -> Entry:
    """An open hold (no end date, not released) is released."""
    return Entry(
        {
            "Update": {
                "TableName": _table(),
                "Key": _key(member_id, hold_id),
                "UpdateExpression": "SET releasedAt = :at",
                "ConditionExpression": (
                    "attribute_exists(holdId) AND attribute_not_exists(releasedAt) "
                    "AND attribute_not_exists(#until)"
                ),
                "ExpressionAttributeNames": {"#until": "until"},
                "ExpressionAttributeValues": {":at": {"S": released_at}},
            }
        }
    )


def bump_version(member_id: str) -> Entry:
    """A live member's holds changed (a withdrawal that read them fails)."""
    return Entry(
        {
            "Update": {
                "TableName": _table(),
                "Key": _key(member_id, VERSION_ROW),
                "UpdateExpression": "ADD version :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
    )


def retire_version_if_unchanged(member_id: str, version: int | None) -> Entry:
    """The withdrawal ends the version row, if still as it read it."""
    entry: dict[str, Any] = {"TableName": _table(), "Key": _key(member_id, VERSION_ROW)}
    if version is None:
        entry["ConditionExpression"] = "attribute_not_exists(version)"
    else:
        entry["ConditionExpression"] = "version = :v"
        entry["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
    return Entry({"Delete": entry})
