"""Retained subjects and holds written item by item, exactly as docs/data-model.md says.

For the purge's mechanical tests (batches, races, faults, deadlines, odd records) and many
subjects at once: a withdrawn subject's name and phone under a ``retained:<memberId>`` data
key, a one-year fraud-prevention hold, ``holdIds`` naming the hold rows (unless asked not to);
adding a hold bumps ``holdVersion`` and, while open, takes the subject out of ``byDue``;
releasing the last open hold makes it due again. The lifecycle tests use the real withdrawal
and hold routes instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from partnercenter.clock import iso
from partnercenter.config import get_settings
from partnercenter.crypto import FieldCipher
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.data_keys import RETAINED_DATA, new_data_key, retained_subject
from partnercenter.dal.retained import due_shard
from partnercenter.hashing import phone_hash

FRAUD_PREVENTION_PERIOD = timedelta(days=365)
RETAINED_ITEMS = ["name", "phone"]


def withdraw(
    member_id: str,
    at: datetime,
    *,
    name: str = "김담당",
    phone: str = "01012345678",
    name_holds: bool = True,
) -> str:
    """A withdrawn member's retained record, data key and fraud-prevention hold; the hold id.

    ``name_holds=False`` writes a record without ``holdIds`` (the purge then queries them).
    """
    subject = retained_subject(member_id)
    key = new_data_key(subject, RETAINED_DATA)
    cipher = FieldCipher(subject, key.plaintext)
    hold_id = str(uuid.uuid4())
    until = at + FRAUD_PREVENTION_PERIOD
    record: dict[str, Any] = {
        "subject": member_id,
        "withdrawnAt": iso(at),
        "items": RETAINED_ITEMS,
        "nameEnc": cipher.seal("name", name),
        "phoneEnc": cipher.seal("phone", phone),
        "phoneHash": phone_hash(phone),
        "holdVersion": 1,
        "holdIds": {hold_id} if name_holds else None,
        "dueAt": iso(until),
        "dueShard": due_shard(member_id),
    }
    hold = {
        "subject": member_id,
        "holdId": hold_id,
        "kind": "fraud_prevention",
        "reason": "re-signup fraud prevention",
        "items": RETAINED_ITEMS,
        "startAt": iso(at),
        "until": iso(until),
    }
    settings = get_settings()
    client("dynamodb").transact_write_items(
        TransactItems=[
            key.put.item,
            {"Put": {"TableName": settings.retained_table, "Item": to_item(record)}},
            {"Put": {"TableName": settings.holds_table, "Item": to_item(hold)}},
        ]
    )
    return hold_id


def add_hold(
    member_id: str, kind: str, at: datetime, until: datetime | None = None, *, count: int = 1
) -> list[str]:
    """``count`` holds of ``kind`` (open when ``until`` is None), as one hold change."""
    settings = get_settings()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    puts = [
        {
            "Put": {
                "TableName": settings.holds_table,
                "Item": to_item(
                    {
                        "subject": member_id,
                        "holdId": hold_id,
                        "kind": kind,
                        "reason": f"{kind} in progress",
                        "items": RETAINED_ITEMS,
                        "startAt": iso(at),
                        "until": iso(until) if until else None,
                    }
                ),
            }
        }
        for hold_id in ids
    ]
    values: dict[str, Any] = {":one": {"N": "1"}, ":ids": {"SS": ids}}
    current = retained_record(member_id)
    assert current is not None
    if until is None:
        expression = "SET holdVersion = holdVersion + :one ADD holdIds :ids REMOVE dueAt, dueShard"
    elif "dueAt" in current:  # no open hold: the latest end wins
        expression = "SET holdVersion = holdVersion + :one, dueAt = :due ADD holdIds :ids"
        values[":due"] = {"S": max(current["dueAt"], iso(until))}
    else:
        expression = "SET holdVersion = holdVersion + :one ADD holdIds :ids"
    update = {
        "Update": {
            "TableName": settings.retained_table,
            "Key": {"subject": {"S": member_id}},
            "UpdateExpression": expression,
            "ExpressionAttributeValues": values,
        }
    }
    if len(puts) < 100:
        client("dynamodb").transact_write_items(TransactItems=[*puts, update])
    else:  # more than one transaction holds: the rows first, then the record that names them
        for start in range(0, len(puts), 100):
            client("dynamodb").transact_write_items(TransactItems=puts[start : start + 100])
        client("dynamodb").transact_write_items(TransactItems=[update])
    return ids


def release_hold(member_id: str, hold_id: str, at: datetime) -> None:
    """Release a hold; once none is open the subject is due at the latest end of its holds."""
    settings = get_settings()
    dynamodb = client("dynamodb")
    dynamodb.update_item(
        TableName=settings.holds_table,
        Key={"subject": {"S": member_id}, "holdId": {"S": hold_id}},
        UpdateExpression="SET releasedAt = :at",
        ExpressionAttributeValues={":at": {"S": iso(at)}},
    )
    ends = []
    for hold in holds(member_id):
        if "releasedAt" in hold:
            ends.append(hold["releasedAt"])
        elif "until" in hold:
            ends.append(hold["until"])
        else:
            ends = []  # still open
            break
    expression = "SET holdVersion = holdVersion + :one"
    values: dict[str, Any] = {":one": {"N": "1"}}
    if ends:
        expression += ", dueAt = :due, dueShard = :shard"
        values |= {":due": {"S": max(ends)}, ":shard": {"S": due_shard(member_id)}}
    dynamodb.update_item(
        TableName=settings.retained_table,
        Key={"subject": {"S": member_id}},
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
    )


def retained_record(member_id: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().retained_table,
            Key={"subject": {"S": member_id}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return from_item(item) if item else None


def holds(member_id: str) -> list[dict[str, Any]]:
    answer = client("dynamodb").query(
        TableName=get_settings().holds_table,
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": member_id}},
        ConsistentRead=True,
    )
    return [from_item(i) for i in answer.get("Items", [])]


def retained_key_exists(member_id: str) -> bool:
    answer = client("dynamodb").get_item(
        TableName=get_settings().data_keys_table,
        Key={"subject": {"S": retained_subject(member_id)}},
        ConsistentRead=True,
    )
    return "Item" in answer


def destruction_records() -> list[dict[str, Any]]:
    """Every destruction record (a scan: a test's table is tiny)."""
    dynamodb = client("dynamodb")
    items: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    for _ in range(100):
        params: dict[str, Any] = {"TableName": get_settings().destruction_records_table}
        if start:
            params["ExclusiveStartKey"] = start
        answer = dynamodb.scan(**params)
        items += [from_item(i) for i in answer.get("Items", [])]
        start = answer.get("LastEvaluatedKey")
        if not start:
            break
    return items
