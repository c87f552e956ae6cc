"""PolicyVersionsTable: the privacy-policy versions operators published (R-NOT-1).

Every version lives under ``pk = VERSIONS`` with ``sk = <effectiveAt>#<version>``, so one Query
returns them in effective order; ``pk = VERSION#<version>`` guards the version's uniqueness.
"""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.transactions import TransactionCancelled, write

VERSIONS = "VERSIONS"


class VersionTaken(Exception):
    """A version of that name was published before."""


def published() -> list[dict[str, Any]]:
    """Every published version, latest effective date first (a handful, one Query)."""
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
    return [from_item(item) for page in pages for item in page.get("Items", [])]


def publish(version: dict[str, Any]) -> None:
    """Store the version and its uniqueness guard together."""
    table = get_settings().policy_versions_table
    if not table:
        raise RuntimeError("POLICY_VERSIONS_TABLE is not configured")
    name = version["version"]
    item = {"pk": VERSIONS, "sk": f"{version['effectiveAt']}#{name}", **version}
    guard = {"pk": f"VERSION#{name}", "sk": "GUARD"}
    try:
        write(
            [
                {
                    "Put": {
                        "TableName": table,
                        "Item": to_item(guard),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": table, "Item": to_item(item)}},
            ]
        )
    except TransactionCancelled as cancelled:
        if cancelled.failed(0):
            raise VersionTaken() from None
        raise
