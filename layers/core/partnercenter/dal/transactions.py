"""Named transactions: TransactWriteItems whose entries, and cancellations, go by name.

A table's dal module builds each ``Entry`` (key, condition, values: DynamoDB's wire format
stays in ``dal/``); domain code names it when it adds it, and asks a cancellation by that name
(``cancelled.failed("login_id_guard")``), so adding an entry never changes which error another
entry's failure raises. DynamoDB takes at most ``MAX_ITEMS`` writes in one transaction: past
that a transaction is refused (``TransactionTooLarge``) unless the caller splits explicitly
(``fill``, ``write_in_batches``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from partnercenter.dal.aws import client

MAX_ITEMS = 100
_FAILED = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


@dataclass(frozen=True)
class Entry:
    """One write of a transaction (a TransactItem), built only by a table's dal module."""

    item: dict[str, Any]


class TransactionTooLarge(ValueError):
    """More entries than one DynamoDB transaction takes; nothing was written."""


class TransactionCancelled(Exception):
    """The transaction changed nothing; ``reasons`` maps each entry's name to its outcome."""

    def __init__(self, reasons: dict[str, str], present: frozenset[str] = frozenset()) -> None:
        self.reasons = reasons
        # The failed entries whose item exists (those whose entry asks for ALL_OLD back).
        self.present = present
        # Names and codes only: never items or keys (R-SEC-3).
        super().__init__(",".join(f"{name}={code}" for name, code in reasons.items()))

    def failed(self, name: str) -> bool:
        """Whether the entry ``name`` (or any entry of the group ``name``) had its condition
        fail or conflicted with another write."""
        return any(
            code in _FAILED
            for entry, code in self.reasons.items()
            if entry == name or entry.startswith(f"{name}[")
        )


class Transaction:
    """All of its entries or none of them."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def room(self) -> int:
        """How many more entries one transaction takes."""
        return MAX_ITEMS - len(self._entries)

    def add(self, name: str, entry: Entry) -> Transaction:
        if name in self._entries:
            raise ValueError(f"the transaction already has an entry named {name}")
        self._entries[name] = entry
        return self

    def add_all(self, other: Transaction) -> Transaction:
        """Every entry of ``other``, under its own name (one commit for both)."""
        for name, entry in other._entries.items():
            self.add(name, entry)
        return self

    def add_group(self, name: str, entries: Iterable[Entry]) -> Transaction:
        """Entries that succeed or fail as one, named ``name[0]``, ``name[1]``, ..."""
        for index, entry in enumerate(entries):
            self.add(f"{name}[{index}]", entry)
        return self

    def fill(self, name: str, entries: Sequence[Entry], keep_free: int = 0) -> list[Entry]:
        """Add as many of ``entries`` as fit, leaving ``keep_free`` places; returns the rest,
        for the caller to write after the commit (an explicit split, never a silent one)."""
        fits = max(0, self.room - keep_free)
        self.add_group(name, entries[:fits])
        return list(entries[fits:])

    def commit(self) -> None:
        """Write every entry or none; TransactionCancelled names each entry's outcome."""
        from botocore.exceptions import ClientError

        if not 0 < len(self._entries) <= MAX_ITEMS:
            raise TransactionTooLarge(
                f"a transaction takes 1..{MAX_ITEMS} entries, not {len(self._entries)}"
            )
        names = list(self._entries)
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[entry.item for entry in self._entries.values()]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons", [])
            codes = [str(reason.get("Code") or "None") for reason in reasons]
            present = frozenset(
                name for name, reason in zip(names, reasons, strict=False) if "Item" in reason
            )
            raise TransactionCancelled(dict(zip(names, codes, strict=False)), present) from None


def write_in_batches(name: str, entries: Sequence[Entry]) -> None:
    """Idempotent writes too many for one transaction, in transactions of ``MAX_ITEMS``: each
    batch is atomic, the whole is not (for clean-up that may be repeated)."""
    for start in range(0, len(entries), MAX_ITEMS):
        Transaction().add_group(name, entries[start : start + MAX_ITEMS]).commit()
