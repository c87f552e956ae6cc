"""DestructionRecordsTable: partitioned by month, sorted by destruction time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.pagination import token_refused
from partnercenter.dal.transactions import Entry


@dataclass(frozen=True)
class DestructionRecord:
    """One destruction (R-RET-7): its subject by pseudonym only, never the destroyed data."""

    record_id: str
    subject: str  # a pseudonym
    kind: str
    items: tuple[str, ...]
    reason: str
    destroyed_at: str
    backups_expire_at: str | None  # None on records written before it was kept
    run_id: str


def _to_item(record: DestructionRecord) -> dict[str, Any]:
    return to_item(
        {
            "month": record.destroyed_at[:7],
            "destroyedAtId": f"{record.destroyed_at}#{record.record_id}",
            "recordId": record.record_id,
            "subject": record.subject,
            "kind": record.kind,
            "items": list(record.items),
            "reason": record.reason,
            "destroyedAt": record.destroyed_at,
            "backupsExpireAt": record.backups_expire_at,
            "runId": record.run_id,
        }
    )


def _from_item(item: dict[str, Any]) -> DestructionRecord:
    row = from_item(item)
    return DestructionRecord(
        record_id=row["recordId"],
        subject=row["subject"],
        kind=row["kind"],
        items=tuple(row["items"]),
        reason=row["reason"],
        destroyed_at=row["destroyedAt"],
        backups_expire_at=row.get("backupsExpireAt"),
        run_id=row["runId"],
    )


def put(record: DestructionRecord) -> Entry:
    """The record, written in the same transaction as the destruction it records."""
    return Entry(
        {"Put": {"TableName": get_settings().destruction_records_table, "Item": _to_item(record)}}
    )


def _months(start: str, end: str) -> list[str]:
    """Every ``YYYY-MM`` from start's month to end's month."""
    year, month = int(start[:4]), int(start[5:7])
    last = (int(end[:4]), int(end[5:7]))
    months = []
    while (year, month) <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _check_resume(resume: dict[str, Any], start: str, end: str, months: list[str]) -> None:
    """A position this query could have issued: one of its months, inside the range."""
    month, after = resume.get("month"), resume.get("after")
    if (
        set(resume) != {"month", "after"}
        or month not in months
        or not isinstance(after, str)
        or after[:7] != month
        or not start <= after <= end + "~"
    ):
        raise token_refused()


def query_range(
    start: str, end: str, limit: int, resume: dict[str, Any] | None
) -> tuple[list[DestructionRecord], dict[str, Any] | None]:
    """Up to ``limit`` records in [start, end]; ``resume`` is the previous page's position."""
    rows: list[DestructionRecord] = []
    months = _months(start, end)
    if resume:
        _check_resume(resume, start, end, months)
        months = months[months.index(resume["month"]) :]
    for month in months:
        params: dict[str, Any] = {
            "TableName": get_settings().destruction_records_table,
            "KeyConditionExpression": "#m = :m AND destroyedAtId BETWEEN :a AND :b",
            "ExpressionAttributeNames": {"#m": "month"},
            "ExpressionAttributeValues": {
                ":m": {"S": month},
                ":a": {"S": start},
                ":b": {"S": end + "~"},  # '~' sorts after the '#<id>' suffix
            },
            "Limit": limit - len(rows),
        }
        if resume and resume["month"] == month:
            params["ExclusiveStartKey"] = {
                "month": {"S": month},
                "destroyedAtId": {"S": resume["after"]},
            }
        answer = client("dynamodb").query(**params)
        rows.extend(_from_item(i) for i in answer.get("Items", []))
        last = answer.get("LastEvaluatedKey")
        if len(rows) >= limit:
            position = (
                last["destroyedAtId"]["S"]
                if last
                else f"{rows[-1].destroyed_at}#{rows[-1].record_id}"
            )
            return rows, {"month": month, "after": position}
    return rows, None
