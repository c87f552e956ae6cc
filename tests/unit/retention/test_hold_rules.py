"""The pure rules of retention holds: ends, due times, what is retained and how it is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from partnercenter.clock import iso
from partnercenter.dal import holds as holds_dal
from partnercenter.dal.holds import HoldRecord
from partnercenter.dal.retained import DUE_SHARDS, due_shard
from partnercenter.errors import ValidationFailed
from partnercenter.models import Caller
from partnercenter.retention.holds import (
    AddHoldRequest,
    add_hold,
    due_at,
    fraud_prevention_hold,
    one_year_after,
    retained_entries,
    retained_items,
)

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
OPERATOR = Caller(member_id="op", groups=("privacy-admin",), issued_at=0, source_ip="")


def hold(kind: str, items: tuple[str, ...] = ("name", "phone"), **ends: str) -> HoldRecord:
    return HoldRecord(hold_id=kind, kind=kind, reason="r", items=items, start_at=iso(NOW), **ends)


def test_one_year_is_the_same_calendar_date_and_29_february_becomes_28() -> None:
    assert one_year_after(NOW) == datetime(2027, 11, 24, 12, 0, 0, tzinfo=UTC)
    leap = datetime(2028, 2, 29, 9, 30, tzinfo=UTC)
    assert one_year_after(leap) == datetime(2029, 2, 28, 9, 30, tzinfo=UTC)


def test_fraud_prevention_keeps_name_and_phone_for_a_year_never_the_login_id() -> None:
    # R-RET-2
    automatic = fraud_prevention_hold(NOW)
    assert automatic.kind == "fraud_prevention"
    assert automatic.items == ("name", "phone")
    assert automatic.until == "2027-11-24T12:00:00Z"
    assert automatic.start_at == "2026-11-24T12:00:00Z"


def test_the_latest_end_wins_and_an_open_hold_means_not_due() -> None:
    # R-RET-2, R-RET-4
    fraud = fraud_prevention_hold(NOW)
    legal = hold("legal", until="2031-01-01T00:00:00Z", statute="law")
    assert due_at([fraud], NOW) == fraud.until
    assert due_at([fraud, legal], NOW) == "2031-01-01T00:00:00Z"
    assert due_at([fraud, hold("settlement")], NOW) is None
    released = hold("settlement", released_at="2026-12-01T00:00:00Z")
    assert due_at([fraud, released], NOW) == fraud.until


def test_releasing_after_every_end_makes_the_subject_due_now_not_in_the_past() -> None:
    # R-RET-2: "the 1-year date, or now if later".
    later = NOW + timedelta(days=400)
    fraud = fraud_prevention_hold(NOW)
    released = hold("complaint", released_at=iso(later))
    assert due_at([fraud, released], later) == iso(later)
    assert due_at([], later) == iso(later)


def test_only_holds_in_force_decide_what_a_withdrawal_retains() -> None:
    # R-RET-1: what no hold covers is destroyed now; R-RET-3: agreed items only.
    ended = hold("member_request", ("name",), until="2026-01-01T00:00:00Z")
    released = hold("settlement", released_at="2026-11-01T00:00:00Z")
    phone_only = hold("member_request", ("phone",), until="2027-06-01T00:00:00Z")
    assert retained_items([ended, released], NOW) == []
    assert retained_items([ended, phone_only], NOW) == ["phone"]
    assert retained_items([fraud_prevention_hold(NOW)], NOW) == ["name", "phone"]
    assert not released.in_force(NOW)
    assert hold("complaint").in_force(NOW)


# R-RET-2, R-RET-4: every item's date is the record's, which the purge destroys as a whole.
def test_the_answer_groups_items_by_the_holds_that_keep_them() -> None:
    fraud = fraud_prevention_hold(NOW)
    legal = hold("legal", ("name",), until="2031-01-01T00:00:00Z", statute="law")
    entries = retained_entries([fraud, legal], ["name", "phone"])
    assert [e.model_dump() for e in entries] == [
        {"items": ["name"], "reason": "fraud_prevention, legal", "until": "2031-01-01T00:00:00Z"},
        {"items": ["phone"], "reason": "fraud_prevention", "until": "2031-01-01T00:00:00Z"},
    ]
    assert due_at([fraud, legal], NOW) == "2031-01-01T00:00:00Z"
    open_settlement = retained_entries([fraud, hold("settlement")], ["name", "phone"])
    assert [e.until for e in open_settlement] == [None]
    on_the_name = retained_entries([fraud, hold("settlement", ("name",))], ["name", "phone"])
    assert [e.until for e in on_the_name] == [None, None]


def test_a_hold_survives_its_item() -> None:
    legal = hold("legal", ("name",), until="2031-01-01T00:00:00Z", statute="law")
    item = holds_dal._to_item("member-1", legal)
    assert item["subject"] == {"S": "member-1"}
    assert "releasedAt" not in item  # absent, not null: the purge's conditions test existence
    assert holds_dal._from_item(item) == legal


def test_due_shards_are_stable_and_spread() -> None:
    assert due_shard("member-1") == due_shard("member-1")
    shards = {due_shard(f"member-{n}") for n in range(200)}
    assert shards == {f"DUE#{n}" for n in range(DUE_SHARDS)}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "legal", "reason": "x", "until": "2030-01-01T00:00:00Z"}, ["statute"]),
        ({"kind": "member_request", "reason": "x", "items": ["name"]}, ["until"]),
        ({"kind": "complaint", "reason": "x", "statute": "law"}, ["statute"]),
        ({"kind": "settlement", "reason": "x", "until": "2000-01-01T00:00:00Z"}, ["until"]),
    ],
)
def test_a_hold_is_refused_before_anything_is_read(
    body: dict[str, object], fields: list[str]
) -> None:
    # R-RET-3, R-RET-4: refused without any AWS call (no environment in unit tests).
    with pytest.raises(ValidationFailed) as refused:
        add_hold(OPERATOR, "member-1", AddHoldRequest.model_validate(body))
    assert refused.value.fields == fields


def test_a_sub_that_could_bend_the_user_filter_finds_no_account() -> None:
    # The sub comes from a verified token; still, it never reaches a ListUsers filter unquoted.
    from partnercenter.dal.cognito import username_of

    assert username_of('x" or sub ^= "') is None
