"""Privacy requests (R-RIGHT-3) and proxies (R-RIGHT-4), through the RightsFunction handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from partnercenter.clock import parse_iso
from partnercenter.crypto import FieldCipher
from partnercenter.dal import data_keys
from partnercenter.dal import privacy_requests as requests_dal
from partnercenter.dal.privacy_requests import AnswerRecord
from partnercenter.rights.requests import PrivacyRequestFiling, file_request
from tests.integration.rights_helpers import OPERATOR, Member, access_actions, active_member
from tests.support import api_event, call, claims_for

DETAILS = "전화번호 010-1234-5678 이 맞는지 알려 주세요"


def _file(member: Member, kind: str = "view", details: str | None = None) -> dict:
    body = {"kind": kind, **({"details": details} if details else {})}
    result = call("rights", api_event("rights-file-request", body=body, claims=member.claims))
    assert result.status == 201, result.body
    return result.body


def _proxy(member_id: str, kind: str = "view") -> dict:
    body = {
        "memberId": member_id,
        "kind": kind,
        "details": DETAILS,
        "proxy": {"evidence": [{"type": "power_of_attorney", "reference": "dms:2026/poa-7"}]},
    }
    result = call("rights", api_event("admin-file-proxy-request", body=body, claims=OPERATOR))
    assert result.status == 201, result.body
    return result.body


def _answer(request_id: str, body: dict):
    return call(
        "rights",
        api_event(
            "admin-answer-privacy-request",
            body=body,
            claims=OPERATOR,
            path_params={"requestId": request_id},
        ),
    )


def _queue(query: dict[str, str] | None = None):
    return call("rights", api_event("admin-list-privacy-requests", claims=OPERATOR, query=query))


def test_a_request_is_due_ten_days_after_receipt(aws_stack) -> None:
    # R-RIGHT-3: answered within 10 days by law.
    member = active_member()
    body = _file(member, "correct", DETAILS)
    assert parse_iso(body["dueAt"]) - parse_iso(body["receivedAt"]) == timedelta(days=10)
    assert (body["state"], body["overdue"], body["channel"]) == ("open", False, "member")
    assert body["details"] == DETAILS
    own = call("rights", api_event("rights-list-own-requests", claims=member.claims))
    assert [r["requestId"] for r in own.body["items"]] == [body["requestId"]]
    assert own.body["items"][0]["details"] == DETAILS


def test_details_are_sealed_under_the_members_key(aws_stack) -> None:
    # R-SEC-1, R-RET-6: free text is personal-ish; shredding the member's key destroys it.
    member = active_member()
    request_id = _file(member, "correct", DETAILS)["requestId"]
    raw = aws_stack.client("dynamodb").get_item(
        TableName=aws_stack.physical_id("PrivacyRequestsTable"),
        Key={"requestId": {"S": request_id}},
    )["Item"]
    assert DETAILS not in str(raw)
    key = data_keys.load_data_key(member.member_id)
    assert key is not None
    opened = FieldCipher(member.member_id, key).open(
        f"privacyRequest:{request_id}:details", raw["detailsEnc"]["S"]
    )
    assert opened == DETAILS


def test_overdue_requests_lead_the_queue_then_by_due_date(aws_stack) -> None:
    # R-RIGHT-3: the operator sees what is late first.
    member = active_member()
    now = datetime.now(UTC)
    fresh = _file(member, "view")
    overdue = file_request(
        member.caller, PrivacyRequestFiling(kind="delete"), now - timedelta(days=11)
    )
    older = file_request(
        member.caller, PrivacyRequestFiling(kind="suspend"), now - timedelta(days=3)
    )
    queue = _queue()
    assert queue.status == 200
    assert [i["requestId"] for i in queue.body["items"]] == [
        overdue.request_id,
        older.request_id,
        fresh["requestId"],
    ]
    assert [i["overdue"] for i in queue.body["items"]] == [True, False, False]
    # R-SEC-2: showing a member's requests to an operator is recorded (once per member a page).
    assert access_actions(member.member_id).count("view_privacy_requests") == 1


def test_the_queue_pages_with_next_token(aws_stack) -> None:
    member = active_member()
    ids = [_file(member)["requestId"] for _ in range(3)]
    first = _queue({"limit": "2"})
    second = _queue({"limit": "2", "nextToken": first.body["nextToken"]})
    seen = [i["requestId"] for i in first.body["items"] + second.body["items"]]
    assert sorted(seen) == sorted(ids)
    assert second.body["nextToken"] is None


def test_a_refusal_carries_its_reason_and_how_to_object(aws_stack) -> None:
    # R-RIGHT-3, R-CPO-1: reason and objection path (the policy's reporting bodies by default).
    member = active_member()
    request_id = _file(member, "delete")["requestId"]
    missing = _answer(request_id, {"outcome": "refused"})
    assert (missing.status, missing.body["code"], missing.body["fields"]) == (
        422,
        "VALIDATION_FAILED",
        ["reason"],
    )
    refused = _answer(
        request_id, {"outcome": "refused", "reason": "A statute requires keeping it."}
    )
    assert refused.status == 200
    answer = refused.body["answers"][-1]
    assert answer["reason"] == "A statute requires keeping it."
    assert "118" in answer["objectionPath"]
    assert "KISA" in answer["objectionPath"]
    assert refused.body["state"] == "answered"
    # The member reads the same answer.
    own = call("rights", api_event("rights-list-own-requests", claims=member.claims))
    assert own.body["items"][0]["answers"][0]["reason"] == "A statute requires keeping it."
    again = _answer(request_id, {"outcome": "done"})
    assert (again.status, again.body["code"]) == (409, "CONFLICT")
    answered = _queue({"state": "answered"})
    assert [i["requestId"] for i in answered.body["items"]] == [request_id]


def test_a_delay_keeps_the_request_pending_with_reason_and_path(aws_stack) -> None:
    # R-RIGHT-3: a delay tells why and how to object; the final answer follows.
    member = active_member()
    request_id = _file(member, "view")["requestId"]
    delayed = _answer(
        request_id,
        {"outcome": "delayed", "reason": "Records are being restored.", "objectionPath": "CPO"},
    )
    assert (delayed.body["state"], delayed.body["answers"][0]["objectionPath"]) == (
        "delayed",
        "CPO",
    )
    assert _queue().body["items"] == []
    assert [i["requestId"] for i in _queue({"state": "delayed"}).body["items"]] == [request_id]
    done = _answer(request_id, {"outcome": "done"})
    assert done.status == 200
    assert [a["outcome"] for a in done.body["answers"]] == ["delayed", "done"]
    assert done.body["answers"][1]["objectionPath"] is None


def test_a_done_view_request_discloses_the_members_data(aws_stack) -> None:
    # R-RIGHT-3 (열람), R-SEC-2: the disclosure is recorded.
    member = active_member()
    request_id = _file(member, "view")["requestId"]
    done = _answer(request_id, {"outcome": "done"})
    assert done.status == 200
    disclosure = done.body["disclosure"]
    assert (disclosure["name"], disclosure["phone"], disclosure["loginId"]) == (
        member.name,
        member.phone,
        member.login_id,
    )
    assert disclosure["provisions"] == []
    assert "disclose_member_data" in access_actions(member.member_id)


def test_a_proxy_request_discloses_nothing_before_the_evidence_is_checked(aws_stack) -> None:
    # R-RIGHT-4: proof of agency is checked before anything is disclosed.
    member = active_member()
    filed = _proxy(member.member_id)
    assert filed["memberDataWithheld"] is True
    assert (filed["memberId"], filed["details"]) == (None, None)
    assert filed["proxy"]["evidence"][0]["type"] == "power_of_attorney"
    request_id = filed["requestId"]
    shown = call(
        "rights",
        api_event(
            "admin-get-privacy-request", claims=OPERATOR, path_params={"requestId": request_id}
        ),
    )
    assert shown.status == 200
    assert member.member_id not in str(shown.body)
    assert DETAILS not in str(shown.body)
    assert member.member_id not in str(_queue().body)
    refused = _answer(request_id, {"outcome": "done"})
    assert (refused.status, refused.body["code"]) == (403, "PROXY_EVIDENCE_NOT_CHECKED")
    assert member.name not in str(refused.body)

    checked = call(
        "rights",
        api_event("admin-evidence-checked", claims=OPERATOR, path_params={"requestId": request_id}),
    )
    assert checked.status == 200
    assert checked.body["memberDataWithheld"] is False
    assert (checked.body["memberId"], checked.body["details"]) == (member.member_id, DETAILS)
    assert checked.body["proxy"]["evidenceCheckedAt"]
    done = _answer(request_id, {"outcome": "done"})
    assert done.status == 200
    assert done.body["disclosure"]["name"] == member.name
    actions = access_actions(member.member_id)
    assert actions[0] == "file_proxy_privacy_request"
    assert "disclose_member_data" in actions


def test_the_store_refuses_a_proxy_done_before_its_evidence_is_checked(aws_stack) -> None:
    # R-RIGHT-4: held atomically by the write, not only by the read before it (a race).
    member = active_member()
    request_id = _proxy(member.member_id)["requestId"]
    done = AnswerRecord(outcome="done", answered_at="2026-11-01T00:00:00Z")
    assert requests_dal.answer_if_open(request_id, done, "answered", agency_checked=True) is None
    stored = requests_dal.get(request_id)
    assert stored is not None
    assert stored.state == "open"
    checked = requests_dal.check_evidence_once(request_id, "2026-11-01T00:00:00Z", "op-1")
    assert checked is not None
    assert checked.evidence_checked_by == "op-1"
    # The first check stands: a second one changes nothing.
    assert requests_dal.check_evidence_once(request_id, "2026-11-02T00:00:00Z", "op-2") is None
    answered = requests_dal.answer_if_open(request_id, done, "answered", agency_checked=True)
    assert answered is not None
    assert (answered.state, answered.answers) == ("answered", (done,))
    # R-RIGHT-3: an answered request takes no further answer.
    assert requests_dal.answer_if_open(request_id, done, "answered", agency_checked=True) is None


def test_a_proxy_request_can_be_refused_unchecked(aws_stack) -> None:
    # R-RIGHT-4: insufficient proof is refused with reason and path, still disclosing nothing.
    member = active_member()
    request_id = _proxy(member.member_id)["requestId"]
    refused = _answer(
        request_id, {"outcome": "refused", "reason": "The power of attorney expired."}
    )
    assert refused.status == 200
    assert refused.body["memberDataWithheld"] is True
    assert refused.body["answers"][0]["reason"] is None  # withheld with the rest
    assert "1301" in refused.body["answers"][0]["objectionPath"]


def test_member_sees_requests_a_proxy_filed_for_them(aws_stack) -> None:
    member = active_member()
    request_id = _proxy(member.member_id, "suspend")["requestId"]
    own = call("rights", api_event("rights-list-own-requests", claims=member.claims))
    item = own.body["items"][0]
    assert (item["requestId"], item["channel"], item["details"]) == (request_id, "proxy", DETAILS)


def test_answers_after_the_member_was_destroyed(aws_stack) -> None:
    # R-RET-6: with the data key shredded nothing can be disclosed; a refusal gets a fixed reason.
    member = active_member()
    request_id = _file(member, "view", DETAILS)["requestId"]
    aws_stack.client("dynamodb").delete_item(
        TableName=aws_stack.physical_id("DataKeysTable"), Key={"subject": {"S": member.member_id}}
    )
    done = _answer(request_id, {"outcome": "done"})
    assert (done.status, done.body["code"]) == (404, "NOT_FOUND")
    refused = _answer(request_id, {"outcome": "refused", "reason": "free text with a name"})
    assert refused.status == 200
    assert refused.body["details"] is None
    assert "destroyed" in refused.body["answers"][0]["reason"]


@pytest.mark.parametrize(
    ("event", "claims", "status", "code"),
    [
        ("admin-list-privacy-requests", claims_for("member-1"), 403, "FORBIDDEN"),
        ("admin-list-privacy-requests", {}, 401, "UNAUTHORIZED"),
        ("rights-list-own-requests", claims_for("nobody"), 401, "UNAUTHORIZED"),
    ],
)
def test_callers_are_checked(aws_stack, event, claims, status, code) -> None:
    result = call("rights", api_event(event, claims=claims))
    assert (result.status, result.body["code"]) == (status, code)


def test_unknown_requests_and_members_are_not_found(aws_stack) -> None:
    missing = call(
        "rights",
        api_event("admin-get-privacy-request", claims=OPERATOR, path_params={"requestId": "nope"}),
    )
    assert missing.status == 404
    not_proxy = call(
        "rights",
        api_event(
            "admin-evidence-checked",
            claims=OPERATOR,
            path_params={"requestId": _file(active_member())["requestId"]},
        ),
    )
    assert not_proxy.status == 404
    body = {
        "memberId": "no-such-member",
        "kind": "view",
        "proxy": {"evidence": [{"type": "seal_certificate", "reference": "dms:1"}]},
    }
    unknown = call("rights", api_event("admin-file-proxy-request", body=body, claims=OPERATOR))
    assert unknown.status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "erase"}, "kind"),
        ({"kind": "view", "details": ""}, "details"),
        ({"kind": "view", "name": "x"}, "name"),
    ],
)
def test_bad_filings_name_the_field(aws_stack, body, field) -> None:
    member = active_member()
    result = call("rights", api_event("rights-file-request", body=body, claims=member.claims))
    assert (result.status, result.body["code"]) == (422, "VALIDATION_FAILED")
    assert field in result.body["fields"]


def test_proxy_evidence_must_be_a_reference(aws_stack) -> None:
    # R-RIGHT-4: evidence is a document reference of a known kind, not free text.
    body = {
        "memberId": active_member().member_id,
        "kind": "view",
        "proxy": {"evidence": [{"type": "letter", "reference": "김 아무개의 편지"}]},
    }
    result = call("rights", api_event("admin-file-proxy-request", body=body, claims=OPERATOR))
    assert result.status == 422
    assert {"proxy.evidence.type", "proxy.evidence.reference"} <= set(result.body["fields"])
