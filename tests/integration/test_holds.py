"""Operator retention holds over moto: on active and withdrawn members, due times, races."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partnercenter.clock import iso, one_year_after, parse_iso
from partnercenter.dal.aws import client
from partnercenter.dal.holds import VERSION_ROW
from partnercenter.dal.members import PENDING_APPROVAL
from partnercenter.retention import withdrawal as withdrawal_logic
from tests.integration.retention_support import (
    ActiveMember,
    Hook,
    hold_rows,
    make_active_member,
    raw,
    retained_of,
    withdraw,
)
from tests.support import api_event, call, claims_for


def add_hold(member_id: str, body: dict[str, Any], claims: dict[str, str] | None = None) -> Any:
    return call(
        "holds",
        api_event("admin-add-hold", body=body, path_params={"memberId": member_id}, claims=claims),
    )


def release(member_id: str, hold_id: str) -> Any:
    return call(
        "holds",
        api_event("admin-release-hold", path_params={"memberId": member_id, "holdId": hold_id}),
    )


def in_due_index(member_id: str) -> bool:
    """Whether the purge's sparse byDue index lists the subject (it reads nothing else)."""
    for shard in range(4):
        items = raw("dynamodb").query(
            TableName=os.environ["RETAINED_TABLE"],
            IndexName="byDue",
            KeyConditionExpression="dueShard = :s",
            ExpressionAttributeValues={":s": {"S": f"DUE#{shard}"}},
        )["Items"]
        if any(i["subject"]["S"] == member_id for i in items):
            return True
    return False


SETTLEMENT = {"kind": "settlement", "reason": "Fees of the last sales period are unsettled."}


def test_an_open_settlement_hold_keeps_the_data_until_released(aws_stack) -> None:
    # R-RET-2: while a settlement is open, until it is completed; whichever ends last wins.
    member = make_active_member()
    added = add_hold(member.member_id, SETTLEMENT)
    assert added.status == 201
    hold_id = added.body["holdId"]

    withdrawn = withdraw(member)
    assert withdrawn.status == 200
    assert withdrawn.body["retained"] == [
        {"items": ["name", "phone"], "reason": "fraud_prevention, settlement", "until": None}
    ]
    record = retained_of(member.member_id)
    assert "dueAt" not in record
    assert "dueShard" not in record
    assert record["holdIds"] == {h["holdId"] for h in hold_rows(member.member_id)}
    assert hold_id in record["holdIds"]
    assert not in_due_index(member.member_id)

    released = release(member.member_id, hold_id)
    assert released.status == 200
    assert released.body["holdId"] == hold_id
    assert released.body["kind"] == "settlement"
    assert released.body["releasedAt"] is not None
    one_year = iso(one_year_after(parse_iso(record["withdrawnAt"])))
    after = retained_of(member.member_id)
    assert after["dueAt"] == one_year  # the fraud-prevention year ends later than the release
    assert after["holdVersion"] == record["holdVersion"] + 1
    assert in_due_index(member.member_id)
    assert withdraw(member).body["retained"] == [
        {"items": ["name", "phone"], "reason": "fraud_prevention, settlement", "until": one_year}
    ]
    # Releasing again changes nothing and answers the same.
    again = release(member.member_id, hold_id)
    assert again.status == 200
    assert again.body == released.body
    assert retained_of(member.member_id)["holdVersion"] == after["holdVersion"]


def test_releasing_the_last_open_hold_after_the_year_makes_the_data_due_now(
    aws_stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # R-RET-2: the complaint outlived the fraud-prevention year, so the data is due at release.
    member = make_active_member()
    hold_id = add_hold(member.member_id, {"kind": "complaint", "reason": "Open complaint."}).body[
        "holdId"
    ]
    long_ago = datetime.now(UTC) - timedelta(days=400)
    with monkeypatch.context() as patched:
        patched.setattr(withdrawal_logic, "utc_now", lambda: long_ago)
        assert withdraw(member).body["retained"][0]["until"] is None

    released_at = datetime.now(UTC)
    assert release(member.member_id, hold_id).status == 200
    due = parse_iso(retained_of(member.member_id)["dueAt"])
    assert due > one_year_after(long_ago)
    assert abs(due - released_at) < timedelta(minutes=1)


def test_holds_on_a_withdrawn_member_move_its_due_time(aws_stack) -> None:
    # R-RET-4: a law-mandated period overrides the internal year; R-RET-3: member request.
    member = make_active_member()
    withdraw(member)
    record = retained_of(member.member_id)
    statute_end = datetime.now(UTC) + timedelta(days=5 * 365)
    legal = add_hold(
        member.member_id,
        {
            "kind": "legal",
            "reason": "Records of a commercial transaction.",
            "statute": "전자상거래법 제6조",
            "until": iso(statute_end),
            "items": ["name"],
        },
    )
    assert legal.status == 201
    after_legal = retained_of(member.member_id)
    assert after_legal["dueAt"] == iso(statute_end)
    assert after_legal["holdVersion"] == record["holdVersion"] + 1
    # The record goes as a whole when its last hold ends: the phone too stays until then.
    assert withdraw(member).body["retained"] == [
        {"items": ["name"], "reason": "fraud_prevention, legal", "until": iso(statute_end)},
        {"items": ["phone"], "reason": "fraud_prevention", "until": iso(statute_end)},
    ]

    complaint = add_hold(member.member_id, {"kind": "complaint", "reason": "Open complaint."})
    assert "dueAt" not in retained_of(member.member_id)
    release(member.member_id, complaint.body["holdId"])
    assert retained_of(member.member_id)["dueAt"] == iso(statute_end)
    assert retained_of(member.member_id)["holdVersion"] == record["holdVersion"] + 3

    rows = {h["kind"]: h for h in hold_rows(member.member_id)}
    assert retained_of(member.member_id)["holdIds"] == {h["holdId"] for h in rows.values()}
    assert rows["legal"]["statute"] == "전자상거래법 제6조"
    assert rows["legal"]["items"] == ["name"]
    assert rows["complaint"]["releasedAt"]


def test_holds_on_an_active_member_are_rows_and_bump_the_version_row(aws_stack) -> None:
    member = make_active_member()
    until = iso(datetime.now(UTC) + timedelta(days=90))
    first = add_hold(
        member.member_id,
        {"kind": "member_request", "reason": "Member asked.", "items": ["phone"], "until": until},
    )
    second = add_hold(member.member_id, SETTLEMENT)
    assert first.status == second.status == 201
    rows = {h["holdId"]: h for h in hold_rows(member.member_id)}
    assert rows[VERSION_ROW]["version"] == 2
    assert rows[first.body["holdId"]]["items"] == ["phone"]
    assert rows[first.body["holdId"]]["until"] == until
    assert rows[second.body["holdId"]]["items"] == ["name", "phone"]
    assert "until" not in rows[second.body["holdId"]]
    assert retained_of(member.member_id) is None
    released = release(member.member_id, second.body["holdId"])
    assert released.status == 200
    assert {h["holdId"]: h for h in hold_rows(member.member_id)}[VERSION_ROW]["version"] == 3


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "legal", "reason": "x"}, ["statute", "until"]),
        ({"kind": "member_request", "reason": "x", "until": "2999-01-01T00:00:00Z"}, ["items"]),
        ({"kind": "settlement", "reason": "x", "statute": "law"}, ["statute"]),
        ({"kind": "complaint", "reason": "x", "until": "2001-01-01T00:00:00Z"}, ["until"]),
        ({"kind": "settlement", "reason": "x", "items": ["loginId"]}, ["items"]),
        ({"kind": "fraud_prevention", "reason": "x"}, ["kind"]),
        ({"kind": "settlement", "reason": "x", "until": "2999-01-01"}, ["until"]),
        ({"kind": "settlement", "reason": ""}, ["reason"]),
        ({"kind": "settlement", "reason": "x", "extra": 1}, ["extra"]),
    ],
)
def test_hold_requests_are_validated(aws_stack, body: dict[str, Any], fields: list[str]) -> None:
    # R-RET-4: a legal hold names its statute and end; the login ID is never retained.
    member = make_active_member()
    refused = add_hold(member.member_id, body)
    assert refused.status == 422
    assert refused.body["code"] == "VALIDATION_FAILED"
    assert refused.body["fields"] == fields
    assert hold_rows(member.member_id) == []


def test_unknown_members_holds_and_non_operators_are_refused(aws_stack) -> None:
    member = make_active_member()
    assert add_hold("no-such-member", SETTLEMENT).status == 404
    assert add_hold(member.member_id, SETTLEMENT, claims=claims_for(member.member_id)).status == 403
    assert release(member.member_id, str(uuid.uuid4())).status == 404
    assert release(member.member_id, "%23version").status == 422
    client("dynamodb").update_item(
        TableName=os.environ["MEMBERS_TABLE"],
        Key={"pk": {"S": f"MEMBER#{member.member_id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET #s = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": PENDING_APPROVAL}},
    )
    pending = add_hold(member.member_id, SETTLEMENT)
    assert pending.status == 404
    assert hold_rows(member.member_id) == []


def test_a_hold_with_an_end_date_is_not_released(aws_stack) -> None:
    member = make_active_member()
    withdraw(member)
    fraud = hold_rows(member.member_id)[0]
    refused = release(member.member_id, fraud["holdId"])
    assert refused.status == 409
    assert refused.body["code"] == "CONFLICT"
    assert "releasedAt" not in hold_rows(member.member_id)[0]


def test_a_withdrawal_landing_during_a_hold_change_is_followed(aws_stack) -> None:
    # R-RET-2: the hold was meant for a live member; it must still keep the withdrawn one's data.
    member = make_active_member()
    Hook("TransactWriteItems", lambda: _withdraw_now(member)).install()
    added = add_hold(member.member_id, SETTLEMENT)
    assert added.status == 201
    record = retained_of(member.member_id)
    assert "dueAt" not in record
    assert record["holdVersion"] == 2
    kinds = sorted(h["kind"] for h in hold_rows(member.member_id))
    assert kinds == ["fraud_prevention", "settlement"]
    assert record["holdIds"] == {h["holdId"] for h in hold_rows(member.member_id)}


def _withdraw_now(member: ActiveMember) -> None:
    assert withdraw(member).status == 200


def test_a_rival_hold_change_on_a_withdrawn_member_is_retried_then_conflicts(aws_stack) -> None:
    member = make_active_member()
    withdraw(member)

    def rival_bumps_hold_version() -> None:
        raw("dynamodb").update_item(
            TableName=os.environ["RETAINED_TABLE"],
            Key={"subject": {"S": member.member_id}},
            UpdateExpression="ADD holdVersion :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    hook = Hook("TransactWriteItems", rival_bumps_hold_version)
    hook.install()
    assert add_hold(member.member_id, SETTLEMENT).status == 201
    assert retained_of(member.member_id)["holdVersion"] == 3  # the rival's bump, then ours

    class Always(Hook):
        def __call__(self, **_: Any) -> None:
            self.fired += 1
            self.action()

    Always("TransactWriteItems", rival_bumps_hold_version).install()
    lost = add_hold(member.member_id, SETTLEMENT)
    assert lost.status == 409
    assert len(hold_rows(member.member_id)) == 2
    settlement = next(h for h in hold_rows(member.member_id) if h["kind"] == "settlement")
    assert release(member.member_id, settlement["holdId"]).status == 409
    rows = {h["holdId"]: h for h in hold_rows(member.member_id)}
    assert "releasedAt" not in rows[settlement["holdId"]]
