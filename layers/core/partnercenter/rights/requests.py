"""Privacy requests (R-RIGHT-3, R-RIGHT-4): view (열람), correct (정정), delete (삭제), suspend
processing (처리정지), filed by the member or by a proxy (대리인) with proof of agency.

Every request is due 10 days after it is received; the operator's queue lists open requests by
due date, so overdue ones come first. A delay or a refusal must carry its reason and how to
object (the policy's privacy officer and reporting bodies by default).

A proxy's request shows nothing about the member (not even who the member is) and cannot be
answered "done" until an operator has checked the evidence of agency. The evidence is kept as
references to documents (a power of attorney, a seal certificate), never the documents.

Free text (the request's details, the operator's reasons) may describe the member, so it is
sealed under the member's data key: destroying the member destroys it too (R-RET-6). What stays
in clear is the ``memberId``, the kind, the times and the outcome, which the privacy officer
keeps as proof that requests were answered in time.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from partnercenter.audit.access_records import record_access
from partnercenter.clock import iso, parse_iso
from partnercenter.crypto import FieldCipher
from partnercenter.dal import members as members_dal
from partnercenter.dal import privacy_requests as requests_dal
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.errors import (
    Conflict,
    NotFound,
    ProxyEvidenceUnchecked,
    ValidationFailed,
)
from partnercenter.members.vault import member_cipher, open_personal_fields
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer
from partnercenter.policy import policy_document
from partnercenter.rights.provisions import Provision, provisions_of

# By law a request is answered within 10 days of its receipt (R-RIGHT-3).
ANSWER_WITHIN = timedelta(days=10)
OPEN, DELAYED, ANSWERED = "open", "delayed", "answered"
MEMBER, PROXY = "member", "proxy"
DISCLOSED_PROVISIONS = 100  # a view answer lists at most this many provisions
DATA_DESTROYED_REASON = "The member's data has been destroyed; nothing is held to act on."

RequestKind = Literal["view", "correct", "delete", "suspend"]
RequestState = Literal["open", "delayed", "answered"]
Outcome = Literal["done", "delayed", "refused"]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class PrivacyRequestFiling(ApiModel):
    kind: RequestKind
    details: FreeText | None = None


class Evidence(ApiModel):
    type: Literal["power_of_attorney", "seal_certificate"]
    # Where the document is filed (e.g. "dms:2026/118"), never the document or a name.
    reference: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:/#-]{1,200}$")]


class ProxyEvidence(ApiModel):
    evidence: Annotated[list[Evidence], Field(min_length=1, max_length=10)]


class ProxyRequestFiling(ApiModel):
    member_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    kind: RequestKind
    details: FreeText | None = None
    proxy: ProxyEvidence


class Answer(ApiModel):
    outcome: Outcome
    reason: FreeText | None = None
    objection_path: FreeText | None = None


class AnswerGiven(ApiModel):
    outcome: Outcome
    reason: str | None = None
    objection_path: str | None = None
    answered_at: str


class ProxyState(ApiModel):
    evidence: list[Evidence]
    evidence_checked_at: str | None = None


class PrivacyRequest(ApiModel):
    request_id: str
    kind: RequestKind
    channel: Literal["member", "proxy"]
    state: RequestState
    received_at: str
    due_at: str
    overdue: bool
    member_data_withheld: bool = Field(
        description="True on a proxy's request until the evidence of agency is checked."
    )
    member_id: str | None = None
    details: str | None = None
    proxy: ProxyState | None = None
    answers: list[AnswerGiven] = Field(default_factory=list)


class PrivacyRequestList(ApiModel):
    items: list[PrivacyRequest]
    next_token: str | None = None


class Disclosure(ApiModel):
    """What a view (열람) request discloses: the member's data as we hold it."""

    member_id: str
    login_id: str
    name: str
    phone: str
    status: str
    verified_at: str | None = None
    consents: dict[str, Any]
    provisions: list[Provision]


class AnswerResult(PrivacyRequest):
    disclosure: Disclosure | None = None


def default_objection_path() -> str:
    """How to object, from the published policy: the privacy officer and the bodies (R-CPO-1)."""
    document = policy_document()
    officer = document["privacyOfficer"]
    bodies = ", ".join(
        f"{body['name']} {body['phone']} ({body['url']})" for body in document["reportingBodies"]
    )
    return (
        f"Object to the privacy officer ({officer['email']}, {officer['phone']}), "
        f"or report to: {bodies}."
    )


# ---------------------------------------------------------------------------- views
def _withheld(row: dict[str, Any]) -> bool:
    return row["channel"] == PROXY and not row.get("evidenceCheckedAt")


def _field(request_id: str, name: str) -> str:
    return f"privacyRequest:{request_id}:{name}"


def _open(cipher: FieldCipher | None, request_id: str, name: str, token: str | None) -> str | None:
    if cipher is None or token is None:
        return None  # none given, or the member's key is shredded
    return cipher.open(_field(request_id, name), token)


def _view(
    row: dict[str, Any], now: datetime, cipher: FieldCipher | None, *, withhold: bool
) -> PrivacyRequest:
    """The request as its viewer may see it; member data only if not withheld and opened."""
    request_id = row["requestId"]
    opener = None if withhold else cipher
    return PrivacyRequest(
        request_id=request_id,
        kind=row["kind"],
        channel=row["channel"],
        state=row["state"],
        received_at=row["receivedAt"],
        due_at=row["dueAt"],
        overdue=row["state"] == OPEN and now > parse_iso(row["dueAt"]),
        member_data_withheld=withhold,
        member_id=None if withhold else row["memberId"],
        details=_open(opener, request_id, "details", row.get("detailsEnc")),
        proxy=(
            ProxyState(
                evidence=[Evidence.model_validate(e) for e in row["evidence"]],
                evidence_checked_at=row.get("evidenceCheckedAt"),
            )
            if row["channel"] == PROXY
            else None
        ),
        answers=[
            AnswerGiven(
                outcome=a["outcome"],
                reason=a.get("reason") or _open(opener, request_id, "reason", a.get("reasonEnc")),
                objection_path=a.get("objectionPath"),
                answered_at=a["answeredAt"],
            )
            for a in row.get("answers", [])
        ],
    )


def _record(actor: Caller, role: str, member_id: str, action: str) -> None:
    record_access(
        actor=actor.member_id,
        actor_role=role,
        member_id=member_id,
        action=action,
        source_ip=actor.source_ip,
    )


def _operator_view(operator: Caller, row: dict[str, Any], now: datetime) -> PrivacyRequest:
    """An operator's view; opening the member's data leaves an access record (R-SEC-2)."""
    if _withheld(row):
        return _view(row, now, None, withhold=True)
    _record(operator, "operator", row["memberId"], "view_privacy_request")
    return _view(row, now, member_cipher(row["memberId"]), withhold=False)


# ---------------------------------------------------------------------------- filing
def _file(
    member_id: str,
    kind: str,
    details: str | None,
    now: datetime,
    proxy: ProxyRequestFiling | None = None,
    filed_by: str | None = None,
) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    cipher = member_cipher(member_id)
    if cipher is None:
        raise NotFound("No such member.")
    row: dict[str, Any] = {
        "requestId": request_id,
        "memberId": member_id,
        "kind": kind,
        "channel": PROXY if proxy else MEMBER,
        "state": OPEN,
        "receivedAt": iso(now),
        "dueAt": iso(now + ANSWER_WITHIN),
        "detailsEnc": (
            cipher.seal(_field(request_id, "details"), details) if details is not None else None
        ),
        "evidence": (
            [e.model_dump(by_alias=True) for e in proxy.proxy.evidence] if proxy else None
        ),
        "filedBy": filed_by,
    }
    requests_dal.put_new(row)
    return {k: v for k, v in row.items() if v is not None}


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def file_request(caller: Caller, filing: PrivacyRequestFiling, now: datetime) -> PrivacyRequest:
    """The member's own request; due 10 days after receipt."""
    _record(caller, "member", caller.member_id, "file_privacy_request")
    row = _file(caller.member_id, filing.kind, filing.details, now)
    return _view(row, now, member_cipher(caller.member_id), withhold=False)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def list_own_requests(
    caller: Caller, limit: int, next_token: str | None, now: datetime
) -> PrivacyRequestList:
    """The member's requests, newest first, including those a proxy filed for them."""
    scope = PageScope("GET /members/me/privacy-requests", caller.member_id)
    rows, last_key = requests_dal.query_by_member(
        caller.member_id, limit, decode_token(next_token, scope)
    )
    _record(caller, "member", caller.member_id, "view_privacy_requests")
    cipher = member_cipher(caller.member_id)
    # Nothing is withheld from the member themselves, whoever filed the request.
    return PrivacyRequestList(
        items=[_view(r, now, cipher, withhold=False) for r in rows],
        next_token=encode_token(last_key, scope),
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def file_proxy_request(
    operator: Caller, filing: ProxyRequestFiling, now: datetime
) -> PrivacyRequest:
    """A proxy's request, filed by an operator with the evidence of agency it came with."""
    if members_dal.get_member(filing.member_id) is None:
        raise NotFound("No such member.")
    _record(operator, "operator", filing.member_id, "file_proxy_privacy_request")
    row = _file(filing.member_id, filing.kind, filing.details, now, filing, operator.member_id)
    return _view(row, now, None, withhold=True)


# ---------------------------------------------------------------------------- operator
@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def list_requests(
    operator: Caller, state: RequestState, limit: int, next_token: str | None, now: datetime
) -> PrivacyRequestList:
    """The queue in ``state``, earliest due date first: overdue requests lead."""
    scope = PageScope("GET /admin/privacy-requests", operator.member_id, {"state": state})
    rows, last_key = requests_dal.query_by_state(state, limit, decode_token(next_token, scope))
    ciphers: dict[str, FieldCipher | None] = {}
    items = []
    for row in rows:
        if _withheld(row):
            items.append(_view(row, now, None, withhold=True))
            continue
        member_id = row["memberId"]
        if member_id not in ciphers:  # one key unwrap and one access record per member a page
            _record(operator, "operator", member_id, "view_privacy_requests")
            ciphers[member_id] = member_cipher(member_id)
        items.append(_view(row, now, ciphers[member_id], withhold=False))
    return PrivacyRequestList(items=items, next_token=encode_token(last_key, scope))


def _load(request_id: str) -> dict[str, Any]:
    row = requests_dal.get(request_id)
    if row is None:
        raise NotFound("No such privacy request.")
    return row


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def get_request(operator: Caller, request_id: str, now: datetime) -> PrivacyRequest:
    return _operator_view(operator, _load(request_id), now)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def check_evidence(operator: Caller, request_id: str, now: datetime) -> PrivacyRequest:
    """The operator has checked the proof of agency: the member's data may now be disclosed."""
    row = _load(request_id)
    if row["channel"] != PROXY:
        raise NotFound("No such proxy request.")
    updated = requests_dal.update(
        request_id,
        {"evidenceCheckedAt": iso(now), "evidenceCheckedBy": operator.member_id},
        condition="channel = :proxy AND attribute_not_exists(evidenceCheckedAt)",
        names={},
        condition_values={":proxy": PROXY},
    )
    return _operator_view(operator, updated or _load(request_id), now)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def answer_request(
    operator: Caller, request_id: str, answer: Answer, now: datetime
) -> AnswerResult:
    """Done, delayed or refused; a delay or refusal says why and how to object (R-RIGHT-3)."""
    if answer.outcome != "done" and answer.reason is None:
        raise ValidationFailed(
            "A delayed or refused answer must give its reason.", fields=["reason"]
        )
    row = _load(request_id)
    if row["state"] == ANSWERED:
        raise Conflict("This request was already answered.")
    if answer.outcome == "done" and _withheld(row):
        raise ProxyEvidenceUnchecked()
    member_id = row["memberId"]
    cipher = member_cipher(member_id)
    member = members_dal.get_member(member_id) if row["kind"] == "view" else None
    if answer.outcome == "done" and (cipher is None or (row["kind"] == "view" and not member)):
        raise NotFound("The member's data is no longer held; refuse the request with that reason.")
    given: dict[str, Any] = {"outcome": answer.outcome, "answeredAt": iso(now)}
    if cipher is None:
        # The member was destroyed: free text can no longer be sealed, so a fixed reason stands.
        given["reason"] = DATA_DESTROYED_REASON
    elif answer.reason is not None:
        given["reasonEnc"] = cipher.seal(_field(request_id, "reason"), answer.reason)
    if answer.outcome != "done":
        given["objectionPath"] = answer.objection_path or default_objection_path()
    _record(operator, "operator", member_id, "answer_privacy_request")
    condition = "#state IN (:open, :delayed)"
    if answer.outcome == "done":
        # Atomically: a proxy's request is never done before its evidence is checked.
        condition += " AND (channel = :member OR attribute_exists(evidenceCheckedAt))"
    updated = requests_dal.update(
        request_id,
        {"state": DELAYED if answer.outcome == "delayed" else ANSWERED},
        condition=condition,
        names={"#state": "state"},
        condition_values={
            ":open": OPEN,
            ":delayed": DELAYED,
            **({":member": MEMBER} if answer.outcome == "done" else {}),
        },
        append={"answers": given},
    )
    if updated is None:
        raise Conflict("The request changed meanwhile; load it and answer again.")
    withhold = _withheld(updated)
    result = AnswerResult.model_validate(
        _view(updated, now, cipher, withhold=withhold).model_dump()
    )
    if answer.outcome == "done" and member is not None and cipher is not None:
        _record(operator, "operator", member_id, "disclose_member_data")
        result.disclosure = _disclosure(member, cipher)
    return result


def _disclosure(member: dict[str, Any], cipher: FieldCipher) -> Disclosure:
    fields = open_personal_fields(member, cipher)
    return Disclosure(
        member_id=member["memberId"],
        login_id=fields.login_id,
        name=fields.name,
        phone=fields.phone,
        status=member["status"],
        verified_at=member.get("verifiedAt"),
        consents=member.get("consents", {}),
        provisions=provisions_of(member["memberId"], DISCLOSED_PROVISIONS, None).items,
    )
