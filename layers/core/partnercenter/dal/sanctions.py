"""SanctionsTable (``memberId``, ``sanctionId``): suspension records (R-COL-5), kept per R-RET-8.

The sparse GSI ``byBlockEnd`` (``blocked``, ``endsAt``) holds only the timed sanctions whose
sign-in block may still be in place, so the hourly sweep reads only those that have ended.
Records past their retention are found by a bounded, filtered Scan (a few per year at most).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client, query_all
from partnercenter.dal.codec import from_item, to_item, to_value
from partnercenter.dal.pagination import StartKey
from partnercenter.dal.transactions import Entry

BLOCKED = "BLOCKED"
BLOCK_END_INDEX = "byBlockEnd"
_MAX_PAGES = 1_000  # a member has a handful of sanctions; a bound all the same


def configured() -> bool:
    return bool(get_settings().sanctions_table)


def _table() -> str:
    table = get_settings().sanctions_table
    if not table:
        raise RuntimeError("SANCTIONS_TABLE is not configured")
    return table


@dataclass(frozen=True)
class SanctionRecord:
    """One suspension (R-COL-5): who imposed it, why, from when to when, and how it ended."""

    member_id: str
    sanction_id: str
    reason: str
    starts_at: str
    created_at: str
    created_by: str  # an operator id
    ends_at: str | None = None  # None: in force until lifted
    lifted_at: str | None = None
    lifted_by: str | None = None
    membership_ended_at: str | None = None
    expires_at_epoch: int | None = None  # when its retention ends (R-RET-8); None while open
    blocked: bool = False  # the sign-in block may still be in place

    def summary(self) -> SanctionSummary:
        return SanctionSummary(
            sanction_id=self.sanction_id,
            reason=self.reason,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            lifted_at=self.lifted_at,
            membership_ended_at=self.membership_ended_at,
            expires_at_epoch=self.expires_at_epoch,
        )


@dataclass(frozen=True)
class SanctionSummary:
    """What the member's profile shows of one sanction record, kept on the profile item
    (``MemberRecord.sanction_records``) and written in the same transaction as the record."""

    sanction_id: str
    reason: str
    starts_at: str
    ends_at: str | None = None
    lifted_at: str | None = None
    membership_ended_at: str | None = None
    expires_at_epoch: int | None = None


def summary_value(summary: SanctionSummary) -> dict[str, Any]:
    """The summary as the profile item's map entry (absent values left out)."""
    values = {
        "reason": summary.reason,
        "startsAt": summary.starts_at,
        "endsAt": summary.ends_at,
        "liftedAt": summary.lifted_at,
        "membershipEndedAt": summary.membership_ended_at,
        "expiresAtEpoch": summary.expires_at_epoch,
    }
    return {k: v for k, v in values.items() if v is not None}


def summary_of(sanction_id: str, value: Mapping[str, Any]) -> SanctionSummary:
    epoch = value.get("expiresAtEpoch")
    return SanctionSummary(
        sanction_id=sanction_id,
        reason=str(value["reason"]),
        starts_at=str(value["startsAt"]),
        ends_at=value.get("endsAt"),
        lifted_at=value.get("liftedAt"),
        membership_ended_at=value.get("membershipEndedAt"),
        expires_at_epoch=None if epoch is None else int(epoch),
    )


def _key(member_id: str, sanction_id: str) -> dict[str, Any]:
    return {"memberId": {"S": member_id}, "sanctionId": {"S": sanction_id}}


def _to_item(record: SanctionRecord) -> dict[str, Any]:
    return to_item(
        {
            "memberId": record.member_id,
            "sanctionId": record.sanction_id,
            "reason": record.reason,
            "startsAt": record.starts_at,
            "createdAt": record.created_at,
            "createdBy": record.created_by,
            "endsAt": record.ends_at,
            "liftedAt": record.lifted_at,
            "liftedBy": record.lifted_by,
            "membershipEndedAt": record.membership_ended_at,
            "expiresAtEpoch": record.expires_at_epoch,
            "blocked": BLOCKED if record.blocked else None,
        }
    )


def _from_row(row: dict[str, Any]) -> SanctionRecord:
    epoch = row.get("expiresAtEpoch")
    return SanctionRecord(
        member_id=row["memberId"],
        sanction_id=row["sanctionId"],
        reason=row["reason"],
        starts_at=row["startsAt"],
        created_at=row["createdAt"],
        created_by=row["createdBy"],
        ends_at=row.get("endsAt"),
        lifted_at=row.get("liftedAt"),
        lifted_by=row.get("liftedBy"),
        membership_ended_at=row.get("membershipEndedAt"),
        expires_at_epoch=None if epoch is None else int(epoch),
        blocked=row.get("blocked") == BLOCKED,
    )


def put_new(record: SanctionRecord) -> Entry:
    """A new sanction record."""
    return Entry(
        {
            "Put": {
                "TableName": _table(),
                "Item": _to_item(record),
                "ConditionExpression": "attribute_not_exists(sanctionId)",
            }
        }
    )


def get(member_id: str, sanction_id: str) -> SanctionRecord | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_table(), Key=_key(member_id, sanction_id), ConsistentRead=True)
        .get("Item")
    )
    return _from_row(from_item(item)) if item else None


def of_member(member_id: str) -> list[SanctionRecord]:
    """Every sanction record of the member still kept."""
    rows = query_all(
        {
            "TableName": _table(),
            "KeyConditionExpression": "memberId = :m",
            "ExpressionAttributeValues": {":m": {"S": member_id}},
            "ConsistentRead": True,
        },
        max_pages=_MAX_PAGES,
    )
    return [_from_row(row) for row in rows]


def _update(
    member_id: str, sanction_id: str, expression: str, values: dict[str, Any], condition: str
) -> Entry:
    return Entry(
        {
            "Update": {
                "TableName": _table(),
                "Key": _key(member_id, sanction_id),
                "UpdateExpression": expression,
                # Never create a record by updating one that is not there.
                "ConditionExpression": f"attribute_exists(sanctionId) AND {condition}",
                "ExpressionAttributeValues": {k: to_value(v) for k, v in values.items()},
            }
        }
    )


def lift_once(
    member_id: str, sanction_id: str, lifted_at: str, lifted_by: str, expires_epoch: int
) -> Entry:
    """The sanction is lifted (once) and its retention starts."""
    return _update(
        member_id,
        sanction_id,
        "SET liftedAt = :at, liftedBy = :by, expiresAtEpoch = :exp",
        {":at": lifted_at, ":by": lifted_by, ":exp": expires_epoch},
        "attribute_not_exists(liftedAt)",
    )


def end_with_membership(
    member_id: str, sanction_id: str, ended_at: str, expires_epoch: int
) -> Entry:
    """The member withdrew, so the sanction no longer applies (once) and its retention starts."""
    return _update(
        member_id,
        sanction_id,
        "SET membershipEndedAt = :at, expiresAtEpoch = :exp REMOVE blocked",
        {":at": ended_at, ":exp": expires_epoch},
        "attribute_not_exists(membershipEndedAt)",
    )


def clear_block(member_id: str, sanction_id: str) -> None:
    """The account no longer needs blocking for this sanction (a record already gone is fine)."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key=_key(member_id, sanction_id),
            UpdateExpression="REMOVE blocked",
            ConditionExpression="attribute_exists(sanctionId)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def blocked_ended_page(
    as_of: str, limit: int, start_key: StartKey | None
) -> tuple[list[tuple[str, str]], StartKey | None]:
    """(memberId, sanctionId) of timed sanctions ended by ``as_of`` whose block is not cleared."""
    params: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": BLOCK_END_INDEX,
        "KeyConditionExpression": "blocked = :b AND endsAt <= :asOf",
        "ExpressionAttributeValues": {":b": {"S": BLOCKED}, ":asOf": {"S": as_of}},
        "Limit": limit,
    }
    if start_key:
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    found = [(i["memberId"]["S"], i["sanctionId"]["S"]) for i in answer.get("Items", [])]
    return found, answer.get("LastEvaluatedKey")


def expired_page(
    now_epoch: int, limit: int, start_key: StartKey | None
) -> tuple[list[tuple[str, str]], StartKey | None]:
    """(memberId, sanctionId) of records whose retention ended before ``now_epoch``."""
    params: dict[str, Any] = {
        "TableName": _table(),
        "FilterExpression": "expiresAtEpoch < :now",
        "ProjectionExpression": "memberId, sanctionId",
        "ExpressionAttributeValues": {":now": {"N": str(now_epoch)}},
        "Limit": limit,
    }
    if start_key:
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").scan(**params)
    found = [(i["memberId"]["S"], i["sanctionId"]["S"]) for i in answer.get("Items", [])]
    return found, answer.get("LastEvaluatedKey")


def delete_if_expired(member_id: str, sanction_id: str, now_epoch: int) -> Entry:
    """Delete a record only while it exists and is still past its retention."""
    return Entry(
        {
            "Delete": {
                "TableName": _table(),
                "Key": _key(member_id, sanction_id),
                "ConditionExpression": "expiresAtEpoch < :now",
                "ExpressionAttributeValues": {":now": {"N": str(now_epoch)}},
            }
        }
    )
