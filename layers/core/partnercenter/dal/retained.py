"""RetainedTable: separated storage (R-RET-5) for what a retention hold keeps after withdrawal.

The sealed items are never read back here: the receipt and the due-time updates project only
the bookkeeping attributes. ``dueAt``/``dueShard`` exist only while no hold is open, so the
sparse ``byDue`` index holds exactly the subjects the purge may have to destroy.
"""

from __future__ import annotations

import hashlib
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item

DUE_SHARDS = 4
_BOOKKEEPING = "subject, withdrawnAt, #items, holdVersion, dueAt"


def due_shard(subject: str) -> str:
    """``DUE#<n>``: a stable spread of subjects over the byDue index's partitions."""
    digest = hashlib.sha256(subject.encode()).digest()
    return f"DUE#{int.from_bytes(digest[:4], 'big') % DUE_SHARDS}"


def _table() -> str:
    return get_settings().retained_table


def _key(member_id: str) -> dict[str, Any]:
    return {"subject": {"S": member_id}}


def put_entry(record: dict[str, Any]) -> dict[str, Any]:
    """TransactWriteItems entry: the retained record, once per subject."""
    due_at = record.get("dueAt")
    shard = {"dueShard": due_shard(record["subject"])} if due_at else {}
    return {
        "Put": {
            "TableName": _table(),
            "Item": to_item({**record, **shard}),
            "ConditionExpression": "attribute_not_exists(subject)",
        }
    }


def get_bookkeeping(member_id: str) -> dict[str, Any] | None:
    """The record's bookkeeping (no sealed items), or None if the subject has no record."""
    item = (
        client("dynamodb")
        .get_item(
            TableName=_table(),
            Key=_key(member_id),
            ConsistentRead=True,
            ProjectionExpression=_BOOKKEEPING,
            ExpressionAttributeNames={"#items": "items"},
        )
        .get("Item")
    )
    return from_item(item) if item else None


def absent_check_entry(member_id: str) -> dict[str, Any]:
    """TransactWriteItems entry: the member has not withdrawn (no retained record yet)."""
    return {
        "ConditionCheck": {
            "TableName": _table(),
            "Key": _key(member_id),
            "ConditionExpression": "attribute_not_exists(subject)",
        }
    }


def due_update_entry(
    member_id: str, read_version: int, due_at: str | None, added_hold_id: str | None = None
) -> dict[str, Any]:
    """TransactWriteItems entry: new due time (None: a hold is open), holdVersion + 1, and the
    new hold's id in ``holdIds`` (the purge deletes the named hold rows without reading them).

    Conditioned on the version read, so concurrent hold changes and the purge (which deletes
    conditioned on holdVersion too) never act on a stale due time.
    """
    values: dict[str, Any] = {
        ":read": {"N": str(read_version)},
        ":next": {"N": str(read_version + 1)},
    }
    if due_at is None:
        expression = "SET holdVersion = :next REMOVE dueAt, dueShard"
    else:
        expression = "SET holdVersion = :next, dueAt = :due, dueShard = :shard"
        values[":due"] = {"S": due_at}
        values[":shard"] = {"S": due_shard(member_id)}
    if added_hold_id is not None:
        expression += " ADD holdIds :hold"
        values[":hold"] = {"SS": [added_hold_id]}
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(member_id),
            "UpdateExpression": expression,
            "ConditionExpression": "holdVersion = :read",
            "ExpressionAttributeValues": values,
        }
    }
