"""A privacy request's answer does the work (rights.acts), through the RightsFunction handler:
a done delete withdraws, a done suspend halts optional uses, a done correct applies a verified
correction, a delay moves the due date, and every answer is texted to the member."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from partnercenter.clock import iso, one_year_after, parse_iso
from partnercenter.dal import verifications as verifications_dal
from partnercenter.dal.members import ProcessingSuspension
from partnercenter.dal.processing_suspensions import suspend_if_member
from partnercenter.rights.requests import PrivacyRequestFiling, file_request, get_request
from tests.integration.member_steps import Person, verified
from tests.integration.member_steps import active_member as signed_up_member
from tests.integration.retention_support import (
    Hook,
    can_sign_in,
    destruction_records_of,
    make_active_member,
    profile_of,
    withdraw,
)
from tests.integration.rights_helpers import OPERATOR, OPERATOR_CALLER, active_member
from tests.integration.test_sanctions import ABUSE, impose, sanction_row
from tests.support import api_event, call, claims_for

PROVISION = {
    "recipient": "Melon Ticket Settlement Co.",
    "purpose": "ticket sales settlement",
    "items": ["name", "phone"],
    "retentionPeriod": "1 year after the settlement",
}


def _claims(member_id: str) -> dict[str, str]:
    return claims_for(member_id, iat=int(datetime.now(UTC).timestamp()))


def _file(member_id: str, kind: str) -> str:
    body = {"kind": kind}
    result = call("rights", api_event("rights-file-request", body=body, claims=_claims(member_id)))
    assert result.status == 201, result.body
    return str(result.body["requestId"])


def _answer(request_id: str, body: dict[str, Any]) -> Any:
    return call(
        "rights",
        api_event(
            "admin-answer-privacy-request",
            body=body,
            claims=OPERATOR,
            path_params={"requestId": request_id},
        ),
    )


def _sms_sent(aws_stack: Any) -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    backend = sns_backends[aws_stack.provisioned.account_id][os.environ["AWS_REGION"]]
    return list(backend.sms_messages.values())


def _provision(member_id: str, legal_basis: str) -> Any:
    body = {**PROVISION, "legalBasis": legal_basis}
    if legal_basis == "statute":
        body["statute"] = "국세기본법 제85조의3"
    event = api_event(
        "admin-record-provision", body=body, claims=OPERATOR, path_params={"memberId": member_id}
    )
    return call("rights", event)


def _consent_to_provision(member_id: str) -> None:
    body = {**PROVISION, "agreed": True}
    event = api_event("rights-provision-consent", body=body, claims=_claims(member_id))
    assert call("rights", event).status == 200


def _marketing(member_id: str, agreed: bool) -> Any:
    event = api_event("post-consents", body={"marketing": agreed}, claims=_claims(member_id))
    return call("profile", event)


# ---------------------------------------------------------------------------- delete
def test_a_done_delete_request_withdraws_the_member_naming_the_request(aws_stack) -> None:
    # R-RIGHT-3 (삭제), R-RIGHT-2, R-RET-7: the operator withdrawal, in the same call.
    member = make_active_member()
    assert can_sign_in(member)
    request_id = _file(member.member_id, "delete")
    done = _answer(request_id, {"outcome": "done"})
    assert done.status == 200, done.body
    assert (done.body["state"], done.body["requesterNotified"]) == ("answered", True)
    assert profile_of(member.member_id) is None
    assert not can_sign_in(member)
    [record] = destruction_records_of(member.member_id)
    assert record["runId"] == f"withdrawal-privacy-request-{request_id}"
    assert record["reason"].startswith("withdrawal on the member's written request (portal")
    # The member was told, before their phone was destroyed; nothing of them is in the text.
    [(number, message)] = _sms_sent(aws_stack)
    assert number == "+82" + member.phone[1:]
    assert request_id in message
    assert member.phone not in message
    assert member.name not in message
    assert member.login_id not in message


def test_a_done_delete_request_ends_the_members_open_sanctions(aws_stack) -> None:
    # R-RET-8: the withdrawal a delete request does ends open sanctions as any withdrawal does,
    # their records' year of retention starting then (RightsFunction's own grant).
    member = make_active_member()
    sanction_id = impose(member.member_id, ABUSE).body["sanctionId"]
    request_id = _file(member.member_id, "delete")
    done = _answer(request_id, {"outcome": "done"})
    assert done.status == 200, done.body
    row = sanction_row(member.member_id, sanction_id)
    assert row is not None
    ended = parse_iso(row["membershipEndedAt"])
    assert row["expiresAtEpoch"] == int(one_year_after(ended).timestamp())
    assert profile_of(member.member_id) is None


def test_a_delete_request_of_a_member_already_withdrawn_is_done_as_it_stands(aws_stack) -> None:
    # R-RIGHT-3, R-RET-7: the member withdrew meanwhile (or an answer died after its act): done
    # answers from the committed withdrawal, destroying and recording nothing twice.
    member = make_active_member()
    request_id = _file(member.member_id, "delete")
    assert withdraw(member).status == 200
    done = _answer(request_id, {"outcome": "done"})
    assert done.status == 200, done.body
    assert done.body["state"] == "answered"
    assert done.body["requesterNotified"] is False  # the phone is gone with the member
    [record] = destruction_records_of(member.member_id)
    assert record["reason"] == "withdrawal"


def test_a_proxys_delete_request_names_itself_in_the_destruction_record(aws_stack) -> None:
    # R-RIGHT-4: done only once the agency is checked; the reason names the request.
    member = make_active_member()
    body = {
        "memberId": member.member_id,
        "kind": "delete",
        "proxy": {"evidence": [{"type": "power_of_attorney", "reference": "dms:2026/poa-9"}]},
    }
    filed = call("rights", api_event("admin-file-proxy-request", body=body, claims=OPERATOR))
    request_id = filed.body["requestId"]
    unchecked = _answer(request_id, {"outcome": "done"})
    assert (unchecked.status, unchecked.body["code"]) == (403, "PROXY_EVIDENCE_NOT_CHECKED")
    assert can_sign_in(member)
    checked = call(
        "rights",
        api_event("admin-evidence-checked", claims=OPERATOR, path_params={"requestId": request_id}),
    )
    assert checked.status == 200
    done = _answer(request_id, {"outcome": "done"})
    assert done.status == 200, done.body
    assert not can_sign_in(member)
    [record] = destruction_records_of(member.member_id)
    assert f"privacy request {request_id}" in record["reason"]
    # The proxy is answered by their own channel; the member's phone is not theirs.
    assert done.body["requesterNotified"] is False
    assert _sms_sent(aws_stack) == []


# ---------------------------------------------------------------------------- suspend
def test_a_processing_suspension_refuses_optional_uses_only(aws_stack) -> None:
    # R-RIGHT-3 (처리정지), R-USE-2, R-ADV-1: consent-based provision and marketing stop;
    # a statute's provision goes on, and so does opting out of marketing.
    member = active_member()
    _consent_to_provision(member.member_id)
    assert _provision(member.member_id, "consent").status == 201
    request_id = _file(member.member_id, "suspend")
    done = _answer(request_id, {"outcome": "done"})
    assert done.status == 200, done.body
    refused = _provision(member.member_id, "consent")
    assert (refused.status, refused.body["code"]) == (409, "PROCESSING_SUSPENDED")
    assert _provision(member.member_id, "statute").status == 201
    marketing = _marketing(member.member_id, True)
    assert (marketing.status, marketing.body["code"]) == (409, "PROCESSING_SUSPENDED")
    assert _marketing(member.member_id, False).status == 200
    # Only the member suspended is: another member's consent-based provision goes on.
    other = active_member()
    _consent_to_provision(other.member_id)
    assert _provision(other.member_id, "consent").status == 201


def test_a_suspension_recorded_while_a_provision_commits_refuses_it(aws_stack) -> None:
    # R-RIGHT-3 (처리정지), R-USE-2: the gate holds at the commit, not only at the read.
    member = active_member()
    _consent_to_provision(member.member_id)
    rival = ProcessingSuspension(iso(datetime.now(UTC)), "request-answered-meanwhile")
    hook = Hook("TransactWriteItems", lambda: suspend_if_member(member.member_id, rival))
    hook.install()
    refused = _provision(member.member_id, "consent")
    assert hook.fired == 1
    assert (refused.status, refused.body["code"]) == (409, "PROCESSING_SUSPENDED")
    mine = call("rights", api_event("rights-disclosures", claims=_claims(member.member_id)))
    assert mine.body["items"] == []


# ---------------------------------------------------------------------------- correct
def test_a_done_correct_request_applies_the_verified_correction(aws_stack) -> None:
    # R-RIGHT-1 (정정), R-IDV-3: a phone change needs a new verification of the same person.
    person = Person.new()
    member_id = signed_up_member(person, "correct.kim")
    request_id = _file(member_id, "correct")
    unverified = _answer(request_id, {"outcome": "done"})
    assert (unverified.status, unverified.body["code"]) == (422, "VALIDATION_FAILED")
    assert unverified.body["fields"] == ["verificationId"]
    impostor = Person.new(name=person.name, phone="01055500001")
    other = verified(impostor, purpose="profile_change", member_id=member_id)
    mismatch = _answer(request_id, {"outcome": "done", "verificationId": other})
    assert (mismatch.status, mismatch.body["code"]) == (422, "IDENTITY_MISMATCH")
    queue = call("rights", api_event("admin-list-privacy-requests", claims=OPERATOR))
    assert request_id in [item["requestId"] for item in queue.body["items"]]  # still open
    changed = Person(name=person.name, phone="01055500002", ci=person.ci)
    verification_id = verified(changed, purpose="profile_change", member_id=member_id)
    event = api_event(
        "admin-answer-correct-request",
        body={"outcome": "done", "verificationId": verification_id},
        claims=OPERATOR,
        path_params={"requestId": request_id},
    )
    done = call("rights", event)
    assert done.status == 200, done.body
    profile = call("profile", api_event("get-profile", claims=_claims(member_id)))
    assert (profile.body["phone"], profile.body["name"]) == ("01055500002", person.name)
    consumed = verifications_dal.get(verification_id)
    assert consumed is not None
    assert consumed.status == "CONSUMED"


# ---------------------------------------------------------------------------- delay
def test_a_delay_gives_a_new_due_date_that_counts_for_overdue(aws_stack) -> None:
    # R-RIGHT-3: a delay is one more legal period (10 days) from its notice; past it the
    # request is overdue like any other.
    member = active_member()
    filed_at = datetime.now(UTC) - timedelta(days=11)
    filed = file_request(member.caller, PrivacyRequestFiling(kind="view"), filed_at)
    assert get_request(OPERATOR_CALLER, filed.request_id, datetime.now(UTC)).overdue
    delayed = _answer(filed.request_id, {"outcome": "delayed", "reason": "Archive restore."})
    assert delayed.status == 200, delayed.body
    answered_at = parse_iso(delayed.body["answers"][0]["answeredAt"])
    assert delayed.body["dueAt"] == iso(answered_at + timedelta(days=10))
    assert parse_iso(delayed.body["dueAt"]) > parse_iso(filed.due_at)
    assert delayed.body["overdue"] is False
    assert delayed.body["requesterNotified"] is True
    on_time = answered_at + timedelta(days=9)
    late = answered_at + timedelta(days=10, seconds=1)
    assert not get_request(OPERATOR_CALLER, filed.request_id, on_time).overdue
    assert get_request(OPERATOR_CALLER, filed.request_id, late).overdue
    queue = call(
        "rights",
        api_event("admin-list-privacy-requests", claims=OPERATOR, query={"state": "delayed"}),
    )
    assert [(i["requestId"], i["dueAt"]) for i in queue.body["items"]] == [
        (filed.request_id, delayed.body["dueAt"])
    ]


def test_every_answer_is_texted_without_personal_data(aws_stack) -> None:
    # R-RIGHT-3, R-SEC-3: the member hears of a delay, a refusal and a done answer alike.
    member = active_member()
    request_id = _file(member.member_id, "view")
    assert _answer(request_id, {"outcome": "delayed", "reason": "Archive restore."}).status == 200
    refused_id = _file(member.member_id, "correct")
    assert _answer(refused_id, {"outcome": "refused", "reason": "Already correct."}).status == 200
    assert _answer(request_id, {"outcome": "done"}).status == 200
    sent = _sms_sent(aws_stack)
    assert [number for number, _ in sent] == ["+82" + member.phone[1:]] * 3
    assert [request_id in sent[0][1], refused_id in sent[1][1], request_id in sent[2][1]] == [
        True,
        True,
        True,
    ]
    assert len({message for _, message in sent}) == 3  # each outcome says what happened
    for _, message in sent:
        assert member.phone not in message
        assert member.name not in message
