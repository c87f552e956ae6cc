"""POST /admin/members/{memberId}/withdrawal over moto: an operator withdraws a member on their
written request (letter, e-mail, phone) - the same withdrawal as the member's own, recorded as
the operator's act; a proxy's request only once its proof of agency was checked."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from partnercenter.dal.codec import from_item
from partnercenter.hashing import subject_pseudonym
from tests.integration.retention_support import (
    can_sign_in,
    destruction_records_of,
    make_active_member,
    profile_of,
    retained_of,
    scan_all,
    withdraw,
)
from tests.support import api_event, call, claims_for

OPERATOR_ID = "7f3c2a10-0000-4000-8000-00000000a001"  # the sample events' operator
EMAIL_REQUEST = {
    "channel": "email",
    "receivedAt": "2026-11-20T01:30:00Z",
    "identityCheckedBy": "staff-0117",
}


def withdraw_on_request(
    member_id: str, body: dict[str, Any], claims: dict[str, str] | None = None
) -> Any:
    event = api_event(
        "admin-withdrawal-on-request", body=body, path_params={"memberId": member_id}, claims=claims
    )
    return call("withdrawal", event)


def proxy_request(member_id: str, kind: str = "delete") -> str:
    body = {
        "memberId": member_id,
        "kind": kind,
        "proxy": {"evidence": [{"type": "power_of_attorney", "reference": "dms:2026/poa-0118"}]},
    }
    filed = call("rights", api_event("admin-file-proxy-request", body=body))
    assert filed.status == 201, filed.body
    return str(filed.body["requestId"])


def check_evidence(request_id: str) -> None:
    checked = call(
        "rights", api_event("admin-evidence-checked", path_params={"requestId": request_id})
    )
    assert checked.status == 200, checked.body


def access_records_of(member_id: str) -> list[dict[str, Any]]:
    pseudonym = subject_pseudonym(member_id)
    return [
        r for r in map(from_item, scan_all("ACCESS_RECORDS_TABLE")) if r["subject"] == pseudonym
    ]


# R-RIGHT-2, R-RET-1, R-RET-7
def test_an_operator_withdraws_a_member_on_an_email_request_like_the_member_would(
    aws_stack,
) -> None:
    by_request, by_self = make_active_member(), make_active_member()

    answered = withdraw_on_request(by_request.member_id, EMAIL_REQUEST)
    own = withdraw(by_self)

    assert answered.status == 200, answered.body
    assert answered.body["status"] == "withdrawn"
    assert [e["items"] for e in answered.body["retained"]] == [["name", "phone"]]
    assert [(e["items"], e["reason"]) for e in answered.body["retained"]] == [
        (e["items"], e["reason"]) for e in own.body["retained"]
    ]
    # The same effects: nothing live is left, the same items stay apart, sign-in is gone.
    assert profile_of(by_request.member_id) is None
    assert retained_of(by_request.member_id)["items"] == retained_of(by_self.member_id)["items"]
    assert not can_sign_in(by_request)
    [record] = destruction_records_of(by_request.member_id)
    [own_record] = destruction_records_of(by_self.member_id)
    assert (record["kind"], record["items"]) == (own_record["kind"], own_record["items"])
    assert own_record["reason"] == "withdrawal"
    assert record["reason"] == (
        "withdrawal on the member's written request (email, received 2026-11-20T01:30:00Z, "
        "identity checked by staff-0117)"
    )
    # Recorded as the operator's act (R-SEC-2).
    [access] = access_records_of(by_request.member_id)
    assert (access["actor"], access["actorRole"], access["action"]) == (
        OPERATOR_ID,
        "operator",
        "withdraw_on_request",
    )
    # A repeated request answers the same; an unknown member is not found.
    assert withdraw_on_request(by_request.member_id, EMAIL_REQUEST).body == answered.body
    assert withdraw_on_request(str(uuid.uuid4()), EMAIL_REQUEST).status == 404


# R-RIGHT-4, R-RIGHT-2
def test_a_proxys_request_waits_for_the_proof_of_agency(aws_stack) -> None:
    member = make_active_member()
    request_id = proxy_request(member.member_id)
    body = {**EMAIL_REQUEST, "channel": "letter", "proxy": {"privacyRequestId": request_id}}

    refused = withdraw_on_request(member.member_id, body)

    assert (refused.status, refused.body["code"]) == (403, "PROXY_EVIDENCE_NOT_CHECKED")
    assert profile_of(member.member_id) is not None
    assert can_sign_in(member)

    check_evidence(request_id)
    done = withdraw_on_request(member.member_id, body)

    assert done.status == 200, done.body
    [record] = destruction_records_of(member.member_id)
    assert record["reason"] == (
        "withdrawal on a proxy's written request (letter, received 2026-11-20T01:30:00Z, "
        f"agency checked by staff-0117, privacy request {request_id})"
    )


def test_a_proxy_request_must_be_a_checked_deletion_of_this_member(aws_stack) -> None:
    member, other = make_active_member(), make_active_member()
    viewing = proxy_request(member.member_id, kind="view")
    check_evidence(viewing)
    others = proxy_request(other.member_id)
    check_evidence(others)

    wrong_kind = withdraw_on_request(
        member.member_id, {**EMAIL_REQUEST, "proxy": {"privacyRequestId": viewing}}
    )
    wrong_member = withdraw_on_request(
        member.member_id, {**EMAIL_REQUEST, "proxy": {"privacyRequestId": others}}
    )

    assert (wrong_kind.status, wrong_kind.body["fields"]) == (422, ["proxy.privacyRequestId"])
    assert (wrong_member.status, wrong_member.body["code"]) == (404, "NOT_FOUND")
    assert profile_of(member.member_id) is not None
    assert profile_of(other.member_id) is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"receivedAt": "2099-01-01T00:00:00Z"}, "receivedAt"),
        ({"receivedAt": "0042-01-01T00:00:00Z"}, "receivedAt"),
        ({"identityCheckedBy": "김담당 팀장"}, "identityCheckedBy"),
        ({"note": "called twice"}, "note"),
    ],
)
def test_the_written_request_must_be_described_as_received(aws_stack, change, field) -> None:
    member = make_active_member()
    refused = withdraw_on_request(member.member_id, {**EMAIL_REQUEST, **change})
    assert (refused.status, refused.body["code"]) == (422, "VALIDATION_FAILED")
    assert field in refused.body["fields"]
    assert profile_of(member.member_id) is not None


def test_only_operators_withdraw_on_a_request_and_only_active_members(aws_stack) -> None:
    from tests.integration.member_steps import Person, sign_up

    member = make_active_member()
    as_member = withdraw_on_request(
        member.member_id, EMAIL_REQUEST, claims=claims_for(member.member_id)
    )
    assert (as_member.status, as_member.body["code"]) == (403, "FORBIDDEN")
    assert profile_of(member.member_id) is not None

    pending = sign_up(Person.new(phone="01055501234"), "pending.member")
    assert pending.status == 201, pending.body
    refused = withdraw_on_request(pending.body["memberId"], EMAIL_REQUEST)
    assert refused.status == 404
    assert profile_of(pending.body["memberId"])["status"] == "pending_approval"
