"""PolicyVersionsTable: the privacy-policy versions operators published (R-NOT-1).

Every version lives under ``pk = VERSIONS`` with ``sk = <effectiveAt>#<version>``, so one Query
returns them in effective order; ``pk = VERSION#<version>`` guards the version's uniqueness.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.transactions import Entry, Transaction, TransactionCancelled

VERSIONS = "VERSIONS"

# Every member route checks the policy in effect (R-NOT-1), so each container reads the list
# at most once a minute instead of once a request. Safe: a version is announced at least 7 days
# before it takes effect, so a list a minute old never changes a member route's answer; and a
# container that publishes forgets its copy at once.
PUBLISHED_MAX_AGE_SECONDS = 60
_published: list[tuple[float, list[PolicyVersionRecord]]] = []  # (read at, versions), at most one


class VersionTaken(Exception):
    """A version of that name was published before."""


@dataclass(frozen=True)
class PolicyVersionRecord:
    """A published version: ``document`` names the packaged document whose text applies."""

    version: str
    effective_at: str
    material: bool
    summary: str
    published_at: str
    published_by: str
    document: str


def _values(record: PolicyVersionRecord) -> dict[str, Any]:
    return {
        "pk": VERSIONS,
        "sk": f"{record.effective_at}#{record.version}",
        "version": record.version,
        "effectiveAt": record.effective_at,
        "material": record.material,
        "summary": record.summary,
        "publishedAt": record.published_at,
        "publishedBy": record.published_by,
        "document": record.document,
    }


def _record(values: dict[str, Any]) -> PolicyVersionRecord:
    return PolicyVersionRecord(
        version=values["version"],
        effective_at=values["effectiveAt"],
        material=bool(values["material"]),
        summary=values["summary"],
        published_at=values["publishedAt"],
        published_by=values.get("publishedBy", ""),
        document=values["document"],
    )


def published(*, fresh: bool = False) -> list[PolicyVersionRecord]:
    """Every published version, latest effective date first (a handful, one Query a minute;
    ``fresh`` reads the table now)."""
    if not fresh and _published and time.monotonic() - _published[0][0] < PUBLISHED_MAX_AGE_SECONDS:
        return list(_published[0][1])
    versions = _read_published()
    _published[:] = [(time.monotonic(), versions)]
    return list(versions)


def forget_published() -> None:
    """Drop this container's copy of the list (after a publication; tests' fresh worlds)."""
    _published.clear()


def _read_published() -> list[PolicyVersionRecord]:
    table = get_settings().policy_versions_table
    if not table:
        return []
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=table,
        KeyConditionExpression="pk = :v",
        ExpressionAttributeValues={":v": {"S": VERSIONS}},
        ScanIndexForward=False,
    )
    return [_record(from_item(item)) for page in pages for item in page.get("Items", [])]


def publish(record: PolicyVersionRecord) -> None:
    """Store the version and its uniqueness guard together; VersionTaken if the name was."""
    table = get_settings().policy_versions_table
    if not table:
        raise RuntimeError("POLICY_VERSIONS_TABLE is not configured")
    guard = {"pk": f"VERSION#{record.version}", "sk": "GUARD"}
    transaction = Transaction().add(
        "name_guard",
        Entry(
            {
                "Put": {
                    "TableName": table,
                    "Item": to_item(guard),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ),
    )
    transaction.add(
        "version", Entry({"Put": {"TableName": table, "Item": to_item(_values(record))}})
    )
    try:
        transaction.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed("name_guard"):
            raise VersionTaken() from None
        raise
    finally:
        forget_published()
