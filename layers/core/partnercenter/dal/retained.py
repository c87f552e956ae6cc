"""RetainedTable: separated storage (R-RET-5) for what a retention hold keeps after withdrawal.

The sealed items are never read back here: the receipt and the due-time updates project only
the bookkeeping attributes. ``dueAt``/``dueShard`` exist only while no hold is open, so the
sparse ``byDue`` index holds exactly the subjects the purge may have to destroy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.transactions import Entry

DUE_SHARDS = 4
_BOOKKEEPING = "subject, withdrawnAt, #items, holdVersion, dueAt"


def due_shard(subject: str) -> str:
    """``DUE#<n>``: a stable spread of subjects over the byDue index's partitions."""
    digest = hashlib.sha256(subject.encode()).digest()
    return f"DUE#{int.from_bytes(digest[:4], 'big') % DUE_SHARDS}"


@dataclass(frozen=True)
class RetainedRecord:
    """What a withdrawal separates: the kept items, sealed under the subject's retained-data
    key, with the bookkeeping that tells when they are due for destruction."""

    subject: str
    withdrawn_at: str
    items: tuple[str, ...]
    hold_version: int
    hold_ids: frozenset[str]
    due_at: str | None  # None while a hold is open
    # Fraud prevention: a re-signup with this phone within the year shows (R-RET-2).
    phone_hash: str | None = None
    sealed: Mapping[str, str] = field(default_factory=dict)  # item -> ciphertext


@dataclass(frozen=True)
class RetainedBookkeeping:
    """A retained record without its sealed items: the withdrawal's receipt."""

    subject: str
    withdrawn_at: str
    items: tuple[str, ...]
    hold_version: int
    due_at: str | None


def _table() -> str:
    return get_settings().retained_table


def _key(member_id: str) -> dict[str, Any]:
    return {"subject": {"S": member_id}}


def _to_item(record: RetainedRecord) -> dict[str, Any]:
    return to_item(
        {
            "subject": record.subject,
            "withdrawnAt": record.withdrawn_at,
            "items": list(record.items),
            "holdVersion": record.hold_version,
            "holdIds": set(record.hold_ids),
            "dueAt": record.due_at,
            "dueShard": due_shard(record.subject) if record.due_at else None,
            "phoneHash": record.phone_hash,
            **{f"{item}Enc": sealed for item, sealed in record.sealed.items()},
        }
    )


def put_once(record: RetainedRecord) -> Entry:
    """The retained record, once per subject."""
    return Entry(
        {
            "Put": {
                "TableName": _table(),
                "Item": _to_item(record),
                "ConditionExpression": "attribute_not_exists(subject)",
            }
        }
    )


def get_bookkeeping(member_id: str) -> RetainedBookkeeping | None:
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
    if not item:
        return None
    row = from_item(item)
    return RetainedBookkeeping(
        subject=row["subject"],
        withdrawn_at=row["withdrawnAt"],
        items=tuple(row["items"]),
        hold_version=int(row["holdVersion"]),
        due_at=row.get("dueAt"),
    )


def check_not_withdrawn(member_id: str) -> Entry:
    """The member has not withdrawn (no retained record yet)."""
    return Entry(
        {
            "ConditionCheck": {
                "TableName": _table(),
                "Key": _key(member_id),
                "ConditionExpression": "attribute_not_exists(subject)",
            }
        }
    )


def reschedule_if_unchanged(
    member_id: str, read_version: int, due_at: str | None, added_hold_id: str | None = None
) -> Entry:
    """New due time (None: a hold is open), holdVersion + 1, and the new hold's id in
    ``holdIds`` (the purge deletes the named hold rows without reading them).

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
    return Entry(
        {
            "Update": {
                "TableName": _table(),
                "Key": _key(member_id),
                "UpdateExpression": expression,
                "ConditionExpression": "holdVersion = :read",
                "ExpressionAttributeValues": values,
            }
        }
    )
