"""TransactWriteItems with the cancellation reasons kept, so callers can map them by index."""

from __future__ import annotations

from typing import Any

from partnercenter.dal.aws import client

MAX_ITEMS = 100


class TransactionCancelled(Exception):
    """The transaction changed nothing; ``reasons[i]`` is the code for entry ``i``."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(",".join(reasons))  # codes only: never items or keys (R-SEC-3)

    def failed(self, index: int) -> bool:
        """Whether entry ``index``'s condition failed (or it conflicted with another write)."""
        return index < len(self.reasons) and self.reasons[index] in {
            "ConditionalCheckFailed",
            "TransactionConflict",
        }


def write(items: list[dict[str, Any]]) -> None:
    """All of ``items`` or none of them; TransactionCancelled names each entry's outcome."""
    from botocore.exceptions import ClientError

    if not 0 < len(items) <= MAX_ITEMS:
        raise ValueError(f"a transaction takes 1..{MAX_ITEMS} items, not {len(items)}")
    try:
        client("dynamodb").transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [
            str(reason.get("Code") or "None")
            for reason in exc.response.get("CancellationReasons", [])
        ]
        raise TransactionCancelled(reasons) from None
