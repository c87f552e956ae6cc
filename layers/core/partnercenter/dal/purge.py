"""What the retention purge reads and writes: the due index, conditional destructions, expiries.

Retained subjects are found through RetainedTable's sparse ``byDue`` index only (never a scan),
which projects what a conditional destruction needs (``holdVersion``, ``items``, ``holdIds``).
Usage records past their period are found through UsageRecordsTable's ``byExpiry`` index, one
recent expiry-day partition after another. VerificationsTable has no expiry index: it only ever
holds a couple of days of rows, so a filtered Scan bounded by the deadline finds its leftovers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from partnercenter.config import get_settings
from partnercenter.dal import retained, usage_records
from partnercenter.dal.aws import client
from partnercenter.dal.data_keys import retained_subject, shred
from partnercenter.dal.pagination import StartKey
from partnercenter.dal.transactions import Entry

DUE_INDEX = "byDue"
# Every partition of the byDue index, as the retained record's writer spreads subjects.
DUE_SHARDS = tuple(f"DUE#{n}" for n in range(retained.DUE_SHARDS))
CONDITION_FAILED = "ConditionalCheckFailed"
ExpiryKind = Literal["verification", "usage_records"]
# Pages of the remaining-count Query (1 MB each): far more than any backlog, yet a bound.
_MAX_COUNT_PAGES = 10_000
USAGE_EXPIRY_LOOKBACK = timedelta(days=31)


@dataclass(frozen=True)
class DueSubject:
    """One retained subject whose destruction is due, as the byDue index projects it."""

    subject: str  # the member id (RetainedTable's key)
    due_at: str
    hold_version: int | None
    items: tuple[str, ...]
    hold_ids: tuple[str, ...] | None  # None: the record does not name its holds


@dataclass(frozen=True)
class ExpiredItem:
    """An expired verification or usage record: its key, and whose data it is."""

    key: dict[str, Any]  # the item's key, read only by this module
    subject: str


def _due_subject(item: dict[str, Any]) -> DueSubject:
    version = item.get("holdVersion")
    holds = item.get("holdIds")
    return DueSubject(
        subject=item["subject"]["S"],
        due_at=item["dueAt"]["S"],
        hold_version=int(version["N"]) if version else None,
        items=tuple(v["S"] for v in item.get("items", {}).get("L", [])),
        hold_ids=tuple(sorted(holds["SS"])) if holds else None,
    )


def _due_query(shard: str, as_of: str) -> dict[str, Any]:
    return {
        "TableName": get_settings().retained_table,
        "IndexName": DUE_INDEX,
        "KeyConditionExpression": "dueShard = :shard AND dueAt <= :asOf",
        "ExpressionAttributeValues": {":shard": {"S": shard}, ":asOf": {"S": as_of}},
    }


def due_page(
    shard: str, as_of: str, limit: int, start_key: StartKey | None
) -> tuple[list[DueSubject], StartKey | None]:
    """Up to ``limit`` subjects of one shard due at ``as_of``, earliest first."""
    params = {**_due_query(shard, as_of), "Limit": limit}
    if start_key:
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    return [_due_subject(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")


def count_due(shard: str, as_of: str, start_key: StartKey | None) -> int:
    """How many subjects of ``shard`` after ``start_key`` are due (only read when out of time)."""
    params = {**_due_query(shard, as_of), "Select": "COUNT"}
    total = 0
    for _ in range(_MAX_COUNT_PAGES):
        if start_key:
            params["ExclusiveStartKey"] = start_key
        answer = client("dynamodb").query(**params)
        total += int(answer["Count"])
        start_key = answer.get("LastEvaluatedKey")
        if not start_key:
            break
    return total


def subject_hold_ids(subject: str) -> tuple[str, ...]:
    """The ids of a subject's hold rows, for a retained record that does not name them."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=get_settings().holds_table,
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": subject}},
        ProjectionExpression="holdId",
        ConsistentRead=True,
    )
    return tuple(item["holdId"]["S"] for page in pages for item in page.get("Items", []))


def destroy_retained_if_due(due: DueSubject, as_of: str) -> Entry:
    """Delete the retained record only if no hold changed since it was read and it is still due."""
    values: dict[str, Any] = {":asOf": {"S": as_of}}
    if due.hold_version is None:
        version = "attribute_not_exists(holdVersion)"
    else:
        version = "holdVersion = :read"
        values[":read"] = {"N": str(due.hold_version)}
    return Entry(
        {
            "Delete": {
                "TableName": get_settings().retained_table,
                "Key": {"subject": {"S": due.subject}},
                "ConditionExpression": f"{version} AND dueAt <= :asOf",
                "ExpressionAttributeValues": values,
                # Tells a hold that won (the record is still there) from a concurrent run's purge.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    )


def shred_retained_key(subject: str) -> Entry:
    """Crypto-shredding of the subject's separated-storage data key (R-RET-6)."""
    return shred(retained_subject(subject))


def delete_hold_if_ended(subject: str, hold_id: str, as_of: str) -> Entry:
    """Delete a hold row only if it was released or its end has passed (or it is already gone)."""
    return Entry(
        {
            "Delete": {
                "TableName": get_settings().holds_table,
                "Key": {"subject": {"S": subject}, "holdId": {"S": hold_id}},
                "ConditionExpression": (
                    "attribute_not_exists(holdId) OR attribute_exists(releasedAt) "
                    "OR #until <= :asOf"
                ),
                "ExpressionAttributeNames": {"#until": "until"},
                "ExpressionAttributeValues": {":asOf": {"S": as_of}},
            }
        }
    )


def _expired_scan(
    table: str,
    projection: str,
    names: dict[str, str],
    now_epoch: int,
    limit: int,
    start_key: StartKey | None,
) -> tuple[list[dict[str, Any]], StartKey | None]:
    params: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "expiresAtEpoch < :now",
        "ProjectionExpression": projection,
        "ExpressionAttributeValues": {":now": {"N": str(now_epoch)}},
        "Limit": limit,
    }
    if names:
        params["ExpressionAttributeNames"] = names
    if start_key:
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").scan(**params)
    return answer.get("Items", []), answer.get("LastEvaluatedKey")


def expired_verifications(
    now_epoch: int, limit: int, start_key: StartKey | None
) -> tuple[list[ExpiredItem], StartKey | None]:
    """One Scan page of verifications past their expiry that TTL has not removed yet.

    A scan, bounded: every verification expires 30 minutes after it starts and TTL removes it
    within about 48 hours, so the table only ever holds a couple of days of verifications.
    """
    items, last = _expired_scan(
        get_settings().verifications_table,
        "verificationId, memberId",
        {},
        now_epoch,
        limit,
        start_key,
    )
    return [
        ExpiredItem(
            key={"verificationId": i["verificationId"]},
            # A profile change's verification is its member's data; a signup's is its own.
            subject=i.get("memberId", i["verificationId"])["S"],
        )
        for i in items
    ], last


def expired_usage_records(
    now_epoch: int, limit: int, start_key: StartKey | None
) -> tuple[list[ExpiredItem], StartKey | None]:
    """One page of usage records past their legal period that TTL has not removed yet.

    Through the ``byExpiry`` index, one expiry-day partition at a time over the last
    ``USAGE_EXPIRY_LOOKBACK``: TTL removes expired items within days, so older partitions are
    empty, and a month covers TTL's lag and a month of missed runs. ``start_key`` is the cursor
    this function returned (partition number and the index's LastEvaluatedKey).
    """
    partitions = usage_records.expiry_partitions(now_epoch, USAGE_EXPIRY_LOOKBACK)
    cursor = start_key or {"partition": 0}
    number, resume = int(cursor["partition"]), cursor.get("key")
    items: list[dict[str, Any]] = []
    # A page fills across partitions, so one subject's records tend to commit together.
    while number < len(partitions) and len(items) < limit:
        params: dict[str, Any] = {
            "TableName": get_settings().usage_records_table,
            "IndexName": "byExpiry",
            "KeyConditionExpression": "expiryPartition = :p AND expiresAtEpoch < :now",
            "ExpressionAttributeValues": {
                ":p": {"S": partitions[number]},
                ":now": {"N": str(now_epoch)},
            },
            "Limit": limit - len(items),
        }
        if resume:
            params["ExclusiveStartKey"] = resume
        answer = client("dynamodb").query(**params)
        items.extend(answer.get("Items", []))
        resume = answer.get("LastEvaluatedKey")
        if not resume:
            number += 1
    following = {"partition": number, "key": resume} if number < len(partitions) else None
    return [
        ExpiredItem(key={"memberId": i["memberId"], "at": i["at"]}, subject=i["memberId"]["S"])
        for i in items
    ], following


def delete_if_expired(kind: ExpiryKind, expired: ExpiredItem, now_epoch: int) -> Entry:
    """Delete an item only while it exists and is still expired: counts stay exact."""
    settings = get_settings()
    table = settings.verifications_table if kind == "verification" else settings.usage_records_table
    return Entry(
        {
            "Delete": {
                "TableName": table,
                "Key": expired.key,
                "ConditionExpression": "expiresAtEpoch < :now",
                "ExpressionAttributeValues": {":now": {"N": str(now_epoch)}},
            }
        }
    )
