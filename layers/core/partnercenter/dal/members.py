"""MembersTable: member profiles, uniqueness guards and consent history (docs/data-model.md)."""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item

PROFILE = "PROFILE"
GUARD = "GUARD"


def member_key(member_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": PROFILE}}


def login_id_guard_key(login_id_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"LOGINID#{login_id_hash}"}, "sk": {"S": GUARD}}


def person_guard_key(person_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"PERSON#{person_hash}"}, "sk": {"S": GUARD}}


def get_member(member_id: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().members_table, Key=member_key(member_id), ConsistentRead=True
        )
        .get("Item")
    )
    return from_item(item) if item else None


def query_by_status(
    status: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of members in ``status``, oldest request first, through the byStatus index."""
    params: dict[str, Any] = {
        "TableName": get_settings().members_table,
        "IndexName": "byStatus",
        "KeyConditionExpression": "#s = :s",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":s": {"S": status}},
        "Limit": limit,
    }
    if start_key:
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    return [from_item(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")
