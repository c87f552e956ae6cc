"""NoticesTable (``noticeId``) and NoticeDeliveriesTable (``noticeId``, ``subject``): notices to
members and each member's delivery, by pseudonym (R-NOT-1, R-NOT-2, R-SEC-4).

Sparse GSIs on NoticesTable: ``bySending`` (``sending``, ``createdAt``) holds only notices still
being delivered, for the scheduled resumption; ``byAnnouncement`` (``announced``,
``announceUntil``) only notices announced on the policy page.
"""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client, query_all
from partnercenter.dal.codec import from_item, to_item, to_value

SENDING = "SENDING"
ANNOUNCED = "ANNOUNCED"
_MAX_PAGES = 100_000  # deliveries of one notice: one per member; a bound all the same


def configured() -> bool:
    return bool(get_settings().notices_table)


def _notices() -> str:
    table = get_settings().notices_table
    if not table:
        raise RuntimeError("NOTICES_TABLE is not configured")
    return table


def _deliveries() -> str:
    table = get_settings().notice_deliveries_table
    if not table:
        raise RuntimeError("NOTICE_DELIVERIES_TABLE is not configured")
    return table


def _key(notice_id: str) -> dict[str, Any]:
    return {"noticeId": {"S": notice_id}}


def put_new(notice: dict[str, Any]) -> None:
    client("dynamodb").put_item(
        TableName=_notices(),
        Item=to_item(notice),
        ConditionExpression="attribute_not_exists(noticeId)",
    )


def get(notice_id: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_notices(), Key=_key(notice_id), ConsistentRead=True)
        .get("Item")
    )
    return from_item(item) if item else None


def save_cursor(notice_id: str, cursor: str) -> None:
    """Where delivery stands in the audience; only while the notice is still being sent."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").update_item(
            TableName=_notices(),
            Key=_key(notice_id),
            UpdateExpression="SET #cursor = :c",
            ConditionExpression="attribute_exists(sending)",
            ExpressionAttributeNames={"#cursor": "cursor"},
            ExpressionAttributeValues={":c": {"S": cursor}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def finish(notice_id: str, finished_at: str) -> None:
    """Every member of the audience was handled: the recipient list is no longer kept."""
    client("dynamodb").update_item(
        TableName=_notices(),
        Key=_key(notice_id),
        UpdateExpression=(
            "SET #state = :sent, finishedAt = if_not_exists(finishedAt, :at) "
            "REMOVE sending, #cursor, memberIds"
        ),
        ExpressionAttributeNames={"#state": "state", "#cursor": "cursor"},
        ExpressionAttributeValues={":sent": {"S": "sent"}, ":at": {"S": finished_at}},
    )


def still_sending(created_before: str, limit: int) -> list[str]:
    """Ids of notices whose delivery is unfinished, created before ``created_before``."""
    answer = client("dynamodb").query(
        TableName=_notices(),
        IndexName="bySending",
        KeyConditionExpression="sending = :s AND createdAt <= :before",
        ExpressionAttributeValues={":s": {"S": SENDING}, ":before": {"S": created_before}},
        Limit=limit,
    )
    return [i["noticeId"]["S"] for i in answer.get("Items", [])]


def announced(now: str, limit: int) -> list[dict[str, Any]]:
    """Notices whose announcement runs at least until ``now``, ending soonest first."""
    answer = client("dynamodb").query(
        TableName=_notices(),
        IndexName="byAnnouncement",
        KeyConditionExpression="announced = :a AND announceUntil >= :now",
        ExpressionAttributeValues={":a": {"S": ANNOUNCED}, ":now": {"S": now}},
        Limit=limit,
    )
    return [from_item(i) for i in answer.get("Items", [])]


# ---------------------------------------------------------------------------- deliveries
def _delivery_key(notice_id: str, subject: str) -> dict[str, Any]:
    return {"noticeId": {"S": notice_id}, "subject": {"S": subject}}


def claim(notice_id: str, subject: str, channel: str, at: str) -> bool:
    """Record that delivery to ``subject`` starts; False if it was already handled."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").put_item(
            TableName=_deliveries(),
            Item=to_item(
                {
                    "noticeId": notice_id,
                    "subject": subject,
                    "channel": channel,
                    "status": "sending",
                    "attemptedAt": at,
                }
            ),
            ConditionExpression="attribute_not_exists(subject)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def settle(notice_id: str, subject: str, values: dict[str, Any]) -> None:
    """The delivery's outcome (``status`` and what goes with it)."""
    names = {f"#v{i}": name for i, name in enumerate(values)}
    client("dynamodb").update_item(
        TableName=_deliveries(),
        Key=_delivery_key(notice_id, subject),
        UpdateExpression="SET " + ", ".join(f"#v{i} = :v{i}" for i in range(len(values))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={
            f":v{i}": to_value(value) for i, value in enumerate(values.values())
        },
    )


def deliveries_of(notice_id: str) -> list[dict[str, Any]]:
    return query_all(
        {
            "TableName": _deliveries(),
            "KeyConditionExpression": "noticeId = :n",
            "ExpressionAttributeValues": {":n": {"S": notice_id}},
            "ConsistentRead": True,
        },
        max_pages=_MAX_PAGES,
    )
