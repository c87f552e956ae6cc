"""ProvisionsTable: the third-party provision ledger and members' provision consents (R-USE-2).

One partition per member (``memberId``): ``PROVISION#<at>#<id>`` is one provision,
``CONSENT#<key>`` the member's current consent to one recipient and purpose, and
``CONSENTLOG#<at>#<key>`` every consent decision as it was given.
"""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item, to_value
from partnercenter.dal.pagination import KeyCondition

PROVISION = "PROVISION#"


def _table() -> str:
    table = get_settings().provisions_table
    if not table:
        raise RuntimeError("PROVISIONS_TABLE is not configured")
    return table


def _key(member_id: str, sk: str) -> dict[str, Any]:
    return {"memberId": {"S": member_id}, "sk": {"S": sk}}


def put_entry(item: dict[str, Any]) -> dict[str, Any]:
    """The TransactWriteItems entry that adds ``item`` (never overwriting a ledger line)."""
    return {
        "Put": {
            "TableName": _table(),
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(sk)",
        }
    }


def replace_entry(item: dict[str, Any]) -> dict[str, Any]:
    """The TransactWriteItems entry that stores ``item`` whatever was there (current state)."""
    return {"Put": {"TableName": _table(), "Item": to_item(item)}}


def condition_entry(
    member_id: str, sk: str, condition: str, names: dict[str, str], values: dict[str, Any]
) -> dict[str, Any]:
    """The TransactWriteItems entry that commits only if ``condition`` holds on that item."""
    return {
        "ConditionCheck": {
            "TableName": _table(),
            "Key": _key(member_id, sk),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {k: to_value(v) for k, v in values.items()},
        }
    }


def get(member_id: str, sk: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_table(), Key=_key(member_id, sk), ConsistentRead=True)
        .get("Item")
    )
    return from_item(item) if item else None


def query_provisions(
    member_id: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the member's provisions, newest first."""
    params: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "memberId = :m AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":m": {"S": member_id}, ":p": {"S": PROVISION}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    condition = KeyCondition(equal={"memberId": member_id}, other=("sk",), prefix={"sk": PROVISION})
    if condition.start_key(start_key):
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    return [from_item(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")
