"""How the purge sizes its transactions and watches its deadline (no AWS)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from partnercenter.dal.purge import DueSubject, ExpiredItem
from partnercenter.retention.purge import (
    MAX_TRANSACTION_ITEMS,
    Deadline,
    SubjectDestruction,
    expiry_destructions,
    pack,
)


@dataclass(frozen=True)
class Unit:
    items: int

    def size(self) -> int:
        return self.items


def _due(holds: int) -> SubjectDestruction:
    subject = DueSubject("m-1", "2027-01-01T00:00:00Z", 2, ("name", "phone"), None)
    return SubjectDestruction(subject, tuple(f"h{n}" for n in range(holds)))


def test_a_subject_is_its_record_key_destruction_record_and_holds() -> None:
    assert _due(0).size() == 3
    assert _due(2).size() == 5


def test_subjects_fill_transactions_up_to_the_item_limit() -> None:
    batches = list(pack([_due(1) for _ in range(60)]))
    assert [len(b) for b in batches] == [25, 25, 10]  # 4 items each: at least 20 per write
    assert all(sum(u.size() for u in b) <= MAX_TRANSACTION_ITEMS for b in batches)


def test_pack_keeps_order_and_never_splits_a_unit() -> None:
    units = [Unit(60), Unit(30), Unit(20), Unit(100), Unit(1)]
    assert list(pack(units)) == [[Unit(60), Unit(30)], [Unit(20)], [Unit(100)], [Unit(1)]]
    assert list(pack([])) == []


def test_expired_items_are_grouped_by_subject_and_split_to_fit() -> None:
    found = [ExpiredItem({"k": {"S": str(n)}}, "a") for n in range(150)]
    found.insert(10, ExpiredItem({"k": {"S": "b1"}}, "b"))
    units = expiry_destructions("usage_records", found)
    assert [(u.subject, len(u.items)) for u in units] == [("a", 99), ("a", 51), ("b", 1)]
    assert max(u.size() for u in units) == MAX_TRANSACTION_ITEMS
    assert units[0].items[0] == found[0]


def test_deadline_keeps_a_safety_margin() -> None:
    left = count(12_000, -1_000)
    deadline = Deadline(lambda: next(left), safety_ms=10_000)
    assert [deadline.passed() for _ in range(4)] == [False, False, True, True]
