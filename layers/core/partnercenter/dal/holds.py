"""RetentionHoldsTable: a subject's retention holds, plus one version row per live member.

The version row (``holdId`` = ``#version``) exists only while the member is live: every hold
change bumps it, and the withdrawal deletes it conditioned on the version it read, so a hold
added or released during a withdrawal cancels that withdrawal instead of being missed. Once
withdrawn, the retained record's ``holdVersion`` plays that part (dal.retained).
"""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item

VERSION_ROW = "#version"


def _table() -> str:
    return get_settings().holds_table


def _key(member_id: str, hold_id: str) -> dict[str, Any]:
    return {"subject": {"S": member_id}, "holdId": {"S": hold_id}}


def query_holds(member_id: str) -> tuple[list[dict[str, Any]], int | None]:
    """The subject's hold rows and its version row's version (None: no version row)."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=_table(),
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": member_id}},
        ConsistentRead=True,
    )
    holds: list[dict[str, Any]] = []
    version: int | None = None
    for page in pages:
        for item in page.get("Items", []):
            row = from_item(item)
            if row["holdId"] == VERSION_ROW:
                version = int(row["version"])
            else:
                holds.append(row)
    return holds, version


def get_hold(member_id: str, hold_id: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_table(), Key=_key(member_id, hold_id), ConsistentRead=True)
        .get("Item")
    )
    return from_item(item) if item else None


def put_entry(row: dict[str, Any]) -> dict[str, Any]:
    """TransactWriteItems entry: a new hold row."""
    return {
        "Put": {
            "TableName": _table(),
            "Item": to_item(row),
            "ConditionExpression": "attribute_not_exists(holdId)",
        }
    }


def release_entry(member_id: str, hold_id: str, released_at: str) -> dict[str, Any]:
    """TransactWriteItems entry: an open hold (no end date, not released) is released."""
    return {
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


def version_bump_entry(member_id: str) -> dict[str, Any]:
    """TransactWriteItems entry: a live member's holds changed (a withdrawal reading them fails)."""
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(member_id, VERSION_ROW),
            "UpdateExpression": "ADD version :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def version_retire_entry(member_id: str, version: int | None) -> dict[str, Any]:
    """TransactWriteItems entry: the withdrawal ends the version row, if still as it read it."""
    entry: dict[str, Any] = {"TableName": _table(), "Key": _key(member_id, VERSION_ROW)}
    if version is None:
        entry["ConditionExpression"] = "attribute_not_exists(version)"
    else:
        entry["ConditionExpression"] = "version = :v"
        entry["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
    return {"Delete": entry}
