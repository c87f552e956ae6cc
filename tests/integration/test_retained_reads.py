"""Operator views of holds and sanctions, and retained data read for its purpose only, over moto."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from partnercenter.clock import iso
from partnercenter.dal.codec import from_item
from partnercenter.hashing import subject_pseudonym
from tests.integration.retention_support import (
    ActiveMember,
    make_active_member,
    scan_all,
    withdraw,
)
from tests.support import api_event, call, claims_for

OPERATOR_ID = "7f3c2a10-0000-4000-8000-00000000a001"  # the sample events' operator
SETTLEMENT = {"kind": "settlement", "reason": "Fees of the last sales period are unsettled."}


def add_hold(member_id: str, body: dict[str, Any]) -> str:
    added = call(
        "holds", api_event("admin-add-hold", body=body, path_params={"memberId": member_id})
    )
    assert added.status == 201, added.body
    return str(added.body["holdId"])


def release(member_id: str, hold_id: str) -> None:
    released = call(
        "holds",
        api_event("admin-release-hold", path_params={"memberId": member_id, "holdId": hold_id}),
    )
    assert released.status == 200, released.body


def read(
    member_id: str, purpose: str, claims: dict[str, str] | None = None, body: Any = None
) -> Any:
    event = api_event(
        "admin-read-retained-data",
        body=body if body is not None else {"purpose": purpose, "reason": "Fee dispute no. 7."},
        path_params={"memberId": member_id},
        claims=claims,
    )
    return call("retained_data", event)


def list_holds(member_id: str, claims: dict[str, str] | None = None) -> Any:
    event = api_event("admin-list-holds", path_params={"memberId": member_id}, claims=claims)
    return call("holds", event)


def list_sanctions(member_id: str, claims: dict[str, str] | None = None) -> Any:
    event = api_event("admin-list-sanctions", path_params={"memberId": member_id}, claims=claims)
    return call("sanctions", event)


def actions_on(member_id: str) -> list[tuple[str, str, str]]:
    pseudonym = subject_pseudonym(member_id)
    # In the order written: records spread over many chains, and a scan has no order.
    records = sorted(map(from_item, scan_all("ACCESS_RECORDS_TABLE")), key=lambda r: r["at"])
    return [(r["actor"], r["actorRole"], r["action"]) for r in records if r["subject"] == pseudonym]


def withdrawn_with(*holds: dict[str, Any]) -> tuple[ActiveMember, list[str]]:
    member = make_active_member()
    hold_ids = [add_hold(member.member_id, body) for body in holds]
    assert withdraw(member).status == 200
    return member, hold_ids


# ---------------------------------------------------------------- retained data reads


def test_a_settlement_read_opens_the_retained_items_and_is_recorded_with_its_purpose(
    aws_stack,
) -> None:
    # R-RET-5, R-SEC-2: an open settlement hold lets an operator read what it keeps, once
    # recorded with the purpose.
    member, _ = withdrawn_with(SETTLEMENT)
    before = actions_on(member.member_id)

    answer = read(member.member_id, "settlement")

    assert answer.status == 200, answer.body
    assert answer.body == {"name": member.name, "phone": member.phone, "purpose": "settlement"}
    assert actions_on(member.member_id) == [
        *before,
        (OPERATOR_ID, "operator", "read_retained_data:settlement"),
    ]


def test_a_purpose_no_open_hold_serves_is_refused_and_nothing_is_opened(aws_stack) -> None:
    # R-RET-5: only a settlement hold is open, so a complaint read is refused; with no
    # operator hold at all (only the automatic fraud-prevention year) every purpose is.
    member, _ = withdrawn_with(SETTLEMENT)
    bare, _ = withdrawn_with()
    before = {m.member_id: actions_on(m.member_id) for m in (member, bare)}

    for subject, purpose in [
        (member, "complaint"),
        (member, "legal"),
        (bare, "settlement"),
        (bare, "complaint"),
    ]:
        refused = read(subject.member_id, purpose)
        assert refused.status == 403, (purpose, refused.body)
        assert refused.body["code"] == "NO_RETENTION_PURPOSE"
        body = str(refused.body)
        assert subject.name not in body
        assert subject.phone not in body
    assert {m.member_id: actions_on(m.member_id) for m in (member, bare)} == before


def test_a_released_hold_no_longer_opens_the_data(aws_stack) -> None:
    # R-RET-5: the purpose ends when the settlement is completed.
    member, (hold_id,) = withdrawn_with(SETTLEMENT)
    assert read(member.member_id, "settlement").status == 200
    release(member.member_id, hold_id)

    refused = read(member.member_id, "settlement")

    assert refused.status == 403
    assert refused.body["code"] == "NO_RETENTION_PURPOSE"


def test_a_hold_opens_only_the_items_it_keeps(aws_stack) -> None:
    # R-RET-5: a legal hold on the name alone opens the name, never the phone.
    until = iso(datetime.now(UTC) + timedelta(days=5 * 365))
    legal = {
        "kind": "legal",
        "reason": "Records of a commercial transaction.",
        "statute": "전자상거래법 제6조",
        "until": until,
        "items": ["name"],
    }
    member, _ = withdrawn_with(legal)

    answer = read(member.member_id, "legal")

    assert answer.status == 200, answer.body
    assert answer.body == {"name": member.name, "phone": None, "purpose": "legal"}


def test_an_active_member_has_no_retained_data_to_read(aws_stack) -> None:
    # R-RET-5: separated storage exists only after a withdrawal.
    member = make_active_member()
    add_hold(member.member_id, SETTLEMENT)

    answer = read(member.member_id, "settlement")

    assert answer.status == 404
    assert answer.body["code"] == "NOT_FOUND"
    assert actions_on(member.member_id) == []


def test_only_operators_read_and_only_for_the_contracts_purposes(aws_stack) -> None:
    # R-RET-5, R-SEC-2: a member's token is refused; fraud prevention is not a read purpose.
    member, _ = withdrawn_with(SETTLEMENT)
    as_member = read(member.member_id, "settlement", claims=claims_for(member.member_id))
    assert as_member.status == 403
    assert as_member.body["code"] == "FORBIDDEN"
    for body in [
        {"purpose": "fraud_prevention", "reason": "x"},
        {"purpose": "settlement"},
        {"purpose": "settlement", "reason": "x", "extra": 1},
    ]:
        invalid = read(member.member_id, "", body=body)
        assert invalid.status == 422, body
        assert invalid.body["code"] == "VALIDATION_FAILED"


# ---------------------------------------------------------------- holds and sanctions lists


def test_an_operator_lists_a_withdrawn_members_holds_with_their_state(aws_stack) -> None:
    # R-RET-2, R-RET-3, R-RET-4: every hold, open or released, without keeping its id.
    member = make_active_member()
    settlement = add_hold(member.member_id, SETTLEMENT)
    complaint = add_hold(member.member_id, {"kind": "complaint", "reason": "Open complaint."})
    withdraw(member)
    release(member.member_id, complaint)

    listed = list_holds(member.member_id)

    assert listed.status == 200, listed.body
    by_kind = {item["kind"]: item for item in listed.body["items"]}
    assert set(by_kind) == {"settlement", "complaint", "fraud_prevention"}
    assert by_kind["settlement"]["holdId"] == settlement
    assert (by_kind["settlement"]["released"], by_kind["settlement"]["until"]) == (False, None)
    assert by_kind["complaint"]["released"] is True
    assert by_kind["complaint"]["releasedAt"]
    assert by_kind["fraud_prevention"]["until"] is not None
    assert by_kind["settlement"]["reason"] == SETTLEMENT["reason"]


def test_holds_of_an_unknown_member_are_not_found_and_members_are_refused(aws_stack) -> None:
    member = make_active_member()
    assert list_holds(member.member_id).body == {"items": []}
    unknown = list_holds(str(uuid.uuid4()))
    assert unknown.status == 404
    assert unknown.body["code"] == "NOT_FOUND"
    as_member = list_holds(member.member_id, claims=claims_for(member.member_id))
    assert as_member.status == 403


def test_an_operator_lists_a_members_sanctions_and_the_read_is_recorded(aws_stack) -> None:
    # R-COL-5, R-SEC-2: the sanction records, also after a withdrawal (R-RET-8), each list an
    # access record.
    member = make_active_member()
    imposed = call(
        "sanctions",
        api_event(
            "admin-impose-sanction",
            body={"reason": "Resold tickets in bulk against the terms, article 12."},
            path_params={"memberId": member.member_id},
        ),
    )
    assert imposed.status == 201, imposed.body

    listed = list_sanctions(member.member_id)

    assert listed.status == 200, listed.body
    (item,) = listed.body["items"]
    assert item["sanctionId"] == imposed.body["sanctionId"]
    assert item["inForce"] is True
    assert (OPERATOR_ID, "operator", "list_sanctions") in actions_on(member.member_id)

    assert withdraw(member).status == 200
    after = list_sanctions(member.member_id)
    assert after.status == 200
    (ended,) = after.body["items"]
    assert ended["inForce"] is False


def test_sanctions_of_an_unknown_member_are_not_found_and_members_are_refused(aws_stack) -> None:
    member = make_active_member()
    assert list_sanctions(member.member_id).body == {"items": []}
    unknown = list_sanctions(str(uuid.uuid4()))
    assert unknown.status == 404
    assert actions_on(str(uuid.uuid4())) == []
    as_member = list_sanctions(member.member_id, claims=claims_for(member.member_id))
    assert as_member.status == 403
