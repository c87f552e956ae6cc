"""DestructionRecordsTable: partitioned by month, sorted by destruction time."""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item
from partnercenter.dal.pagination import token_refused


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
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Up to ``limit`` records in [start, end]; ``resume`` is the previous page's position."""
    rows: list[dict[str, Any]] = []
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
        rows.extend(from_item(i) for i in answer.get("Items", []))
        last = answer.get("LastEvaluatedKey")
        if len(rows) >= limit:
            position = last["destroyedAtId"]["S"] if last else rows[-1]["destroyedAtId"]
            return rows, {"month": month, "after": position}
    return rows, None
