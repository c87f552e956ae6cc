"""The withdrawal receipt's dates are the purge's: what it promises is destroyed when it says."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partnercenter.clock import iso, parse_iso
from partnercenter.config import get_settings
from tests.integration.retention_support import (
    destruction_records_of,
    hold_rows,
    make_active_member,
    retained_of,
    withdraw,
)
from tests.support import LambdaContext, api_event, call, handler_module, load_event

SECOND = timedelta(seconds=1)


@pytest.fixture
def local_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local stack's purge takes the event's time as its clock ("a year later")."""
    monkeypatch.setenv("PC_LOCAL_STACK", "1")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("PC_LOCAL_STACK")
    get_settings.cache_clear()


def purge_at(moment: datetime) -> dict[str, Any]:
    event = load_event("retention-purge")
    event["time"] = iso(moment)
    result: dict[str, Any] = handler_module("retention_purge").lambda_handler(
        event, LambdaContext(remaining_ms=60_000)
    )
    return result


def add_hold(member_id: str, body: dict[str, Any]) -> None:
    added = call(
        "holds", api_event("admin-add-hold", body=body, path_params={"memberId": member_id})
    )
    assert added.status == 201, added.body


def retained_items(member_id: str) -> set[str]:
    record = retained_of(member_id)
    return set() if record is None else set(record["items"])


# R-RET-2, R-RET-3, R-RET-4, R-RET-7
def test_each_item_is_destroyed_when_the_receipt_says_and_not_before(
    aws_stack, local_clock
) -> None:
    # Holds of different ends: the member's own request keeps the phone ~7 months, the
    # fraud-prevention year both items, a statute the name ~2 years. The receipt's dates are
    # checked against the purge at every hold's end: a second before and at that moment.
    now = datetime.now(UTC).replace(microsecond=0)
    member = make_active_member()
    add_hold(
        member.member_id,
        {
            "kind": "member_request",
            "reason": "The member asked to keep their phone for a refund.",
            "items": ["phone"],
            "until": iso(now + timedelta(days=210)),
        },
    )
    add_hold(
        member.member_id,
        {
            "kind": "legal",
            "reason": "Records of a commercial transaction.",
            "statute": "전자상거래법 제6조",
            "items": ["name"],
            "until": iso(now + timedelta(days=800)),
        },
    )
    receipt = withdraw(member)
    assert receipt.status == 200, receipt.body

    promised = {
        item: parse_iso(entry["until"])
        for entry in receipt.body["retained"]
        for item in entry["items"]
    }
    assert set(promised) == {"name", "phone"}
    boundaries = sorted({parse_iso(str(h["until"])) for h in hold_rows(member.member_id)})
    assert len(boundaries) == 3  # member request, fraud-prevention year, statute

    for boundary in boundaries:
        for moment in (boundary - SECOND, boundary):
            purge_at(moment)
            expected = {item for item, until in promised.items() if until > moment}
            assert retained_items(member.member_id) == expected, (iso(moment), promised)

    # Destroyed once, all promised items in one destruction record, at the promised date.
    (record,) = [
        r for r in destruction_records_of(member.member_id) if r["kind"] == "retained_data"
    ]
    assert set(record["items"]) == set(promised)
    assert {iso(until) for until in promised.values()} == {iso(boundaries[-1])}
