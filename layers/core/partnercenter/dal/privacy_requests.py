"""PrivacyRequestsTable: members' requests to view, correct, delete or suspend (R-RIGHT-3/4).

Keyed by ``requestId``; GSI ``byState`` (``state``, ``dueAt``) lists the operator's queue by due
date, GSI ``byMember`` (``memberId``, ``receivedAt``) a member's own requests.
"""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item, to_value
from partnercenter.dal.pagination import KeyCondition


def _table() -> str:
    table = get_settings().privacy_requests_table
    if not table:
        raise RuntimeError("PRIVACY_REQUESTS_TABLE is not configured")
    return table


def _key(request_id: str) -> dict[str, Any]:
    return {"requestId": {"S": request_id}}


def put_new(record: dict[str, Any]) -> None:
    client("dynamodb").put_item(
        TableName=_table(),
        Item=to_item(record),
        ConditionExpression="attribute_not_exists(requestId)",
    )


def get(request_id: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_table(), Key=_key(request_id), ConsistentRead=True)
        .get("Item")
    )
    return from_item(item) if item else None


def _page(
    params: dict[str, Any],
    limit: int,
    start_key: dict[str, Any] | None,
    condition: KeyCondition,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    params = {"TableName": _table(), "Limit": limit, **params}
    if condition.start_key(start_key):
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    return [from_item(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")


def query_by_state(
    state: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of requests in ``state``, earliest due first (so overdue ones lead)."""
    return _page(
        {
            "IndexName": "byState",
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":s": {"S": state}},
        },
        limit,
        start_key,
        KeyCondition(equal={"state": state}, other=("requestId", "dueAt")),
    )


def query_by_member(
    member_id: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of a member's requests, newest first."""
    return _page(
        {
            "IndexName": "byMember",
            "KeyConditionExpression": "memberId = :m",
            "ExpressionAttributeValues": {":m": {"S": member_id}},
            "ScanIndexForward": False,
        },
        limit,
        start_key,
        KeyCondition(equal={"memberId": member_id}, other=("requestId", "receivedAt")),
    )


def update(
    request_id: str,
    values: dict[str, Any],
    *,
    condition: str,
    names: dict[str, str],
    condition_values: dict[str, Any],
    append: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """Set ``values`` (and append to the ``append`` lists) if ``condition`` holds.

    The new item, or None if the condition did not hold (the request moved on meanwhile).
    """
    from botocore.exceptions import ClientError

    all_names = {**names, **{f"#v{i}": name for i, name in enumerate(values)}}
    all_values = {f":v{i}": to_value(value) for i, value in enumerate(values.values())}
    all_values.update({k: to_value(v) for k, v in condition_values.items()})
    sets = [f"#v{i} = :v{i}" for i in range(len(values))]
    for i, (name, entry) in enumerate((append or {}).items()):
        all_names[f"#a{i}"] = name
        all_values[f":a{i}"] = to_value([entry])
        all_values[":none"] = {"L": []}
        sets.append(f"#a{i} = list_append(if_not_exists(#a{i}, :none), :a{i})")
    try:
        answer = client("dynamodb").update_item(
            TableName=_table(),
            Key=_key(request_id),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=condition,
            ExpressionAttributeNames=all_names,
            ExpressionAttributeValues=all_values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return from_item(answer["Attributes"])
