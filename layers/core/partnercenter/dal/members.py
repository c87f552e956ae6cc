"""MembersTable: member profiles, uniqueness guards and consent history (docs/data-model.md)."""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_value
from partnercenter.dal.pagination import KeyCondition

PROFILE = "PROFILE"
GUARD = "GUARD"
PENDING_APPROVAL = "pending_approval"
ACTIVE = "active"


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
    condition = KeyCondition(equal={"status": status}, other=("pk", "sk", "requestedAt"))
    if condition.start_key(start_key):
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    return [from_item(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")


def login_id_guard_exists(login_id_hash: str) -> bool:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().members_table,
            Key=login_id_guard_key(login_id_hash),
            ConsistentRead=True,
            ProjectionExpression="pk",
        )
        .get("Item")
    )
    return item is not None


def member_item_keys(member_id: str) -> list[dict[str, Any]]:
    """Keys of every item under the member's partition (profile, consent history)."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=get_settings().members_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"MEMBER#{member_id}"}},
        ProjectionExpression="pk, sk",
        ConsistentRead=True,
    )
    return [item for page in pages for item in page.get("Items", [])]


def transition(
    member_id: str,
    from_status: str,
    to_status: str,
    values: dict[str, Any],
    remove: tuple[str, ...] = (),
) -> bool:
    """Move the profile between statuses, setting ``values`` and removing ``remove``.

    False if the profile is not in ``from_status`` (gone, or decided meanwhile).
    """
    from botocore.exceptions import ClientError

    names = {"#status": "status"}
    names.update({f"#v{i}": name for i, name in enumerate(values)})
    names.update({f"#r{i}": name for i, name in enumerate(remove)})
    assigned = {f":v{i}": to_value(value) for i, value in enumerate(values.values())}
    sets = ["#status = :to", "version = version + :one"]
    sets += [f"#v{i} = :v{i}" for i in range(len(values))]
    expression = "SET " + ", ".join(sets)
    if remove:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    try:
        client("dynamodb").update_item(
            TableName=get_settings().members_table,
            Key=member_key(member_id),
            UpdateExpression=expression,
            ConditionExpression="#status = :from",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":to": {"S": to_status},
                ":from": {"S": from_status},
                ":one": {"N": "1"},
                **assigned,
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def set_signed_out(member_id: str, epoch: int) -> bool:
    """Tokens issued at or before ``epoch`` are refused from now on; False if no profile."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").update_item(
            TableName=get_settings().members_table,
            Key=member_key(member_id),
            UpdateExpression="SET signedOutAt = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":at": {"N": str(epoch)}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def profile_update(member_id: str, version: int, values: dict[str, Any]) -> dict[str, Any]:
    """TransactWriteItems entry setting profile attributes (``a.b`` for a map entry).

    Optimistic locking: applies only to ``version`` and bumps it, so a concurrent change wins
    cleanly instead of being overwritten.
    """
    names: dict[str, str] = {}
    assignments = []
    for index, path in enumerate(values):
        parts = []
        for depth, part in enumerate(path.split(".")):
            names[f"#p{index}_{depth}"] = part
            parts.append(f"#p{index}_{depth}")
        assignments.append(f"{'.'.join(parts)} = :p{index}")
    return {
        "Update": {
            "TableName": get_settings().members_table,
            "Key": member_key(member_id),
            "UpdateExpression": "SET " + ", ".join([*assignments, "version = :next"]),
            "ConditionExpression": "version = :version",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                **{f":p{i}": to_value(v) for i, v in enumerate(values.values())},
                ":version": {"N": str(version)},
                ":next": {"N": str(version + 1)},
            },
        }
    }
