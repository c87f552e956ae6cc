"""Privacy requests (R-RIGHT-3, R-RIGHT-4): view (열람), correct (정정), delete (삭제), suspend
processing (처리정지), filed by the member or by a proxy (대리인) with proof of agency.

Every request is due 10 days after it is received; the operator's queue lists open requests by
due date, so overdue ones come first. A delay or a refusal must carry its reason and how to
object (the policy's privacy officer and reporting bodies by default).

An answer acts (``rights.acts``): done on a delete request withdraws the member, on a correct
request applies a verified correction, on a suspend request suspends optional processing; a
delay gives a new due date, past which the request is overdue; the member is texted every answer.

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import Field, StringConstraints

from partnercenter.audit.access_records import record_access
from partnercenter.clock import iso, parse_iso
from partnercenter.crypto import FieldCipher
from partnercenter.dal import members as members_dal
from partnercenter.dal import privacy_requests as requests_dal
from partnercenter.dal.members import MemberRecord
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.dal.privacy_requests import (
    ANSWERED,
    DELAYED,
    MEMBER,
    OPEN,
    PROXY,
    AnswerRecord,
    Channel,
    EvidenceReference,
    EvidenceType,
    Outcome,
    PrivacyRequestRecord,
    RequestKind,
    RequestState,
)
from partnercenter.errors import (
    Conflict,
    NotFound,
    ProxyEvidenceUnchecked,
    ValidationFailed,
)
from partnercenter.members.consents import ConsentState
from partnercenter.members.vault import member_cipher, open_personal_fields
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer
from partnercenter.policy import policy_document
from partnercenter.rights.provisions import Provision, provisions_of

# By law a request is answered within 10 days of its receipt (R-RIGHT-3).
ANSWER_WITHIN = timedelta(days=10)
DISCLOSED_PROVISIONS = 100  # a view answer lists at most this many provisions
DATA_DESTROYED_REASON = "The member's data has been destroyed; nothing is held to act on."

FreeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


QueueState = RequestState  # the queue's filter on its routes


class PrivacyRequestFiling(ApiModel):
    kind: RequestKind
    details: FreeText | None = None


class Evidence(ApiModel):
    type: EvidenceType
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
    verification_id: Annotated[str | None, Field(min_length=1, max_length=64)] = Field(
        default=None,
        description=(
            "A done correct request: the member's new identity verification, whose verified "
            "name and phone become the profile's (R-RIGHT-1)."
        ),
    )


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
    channel: Channel
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
    consents: ConsentState
    provisions: list[Provision]


class AnswerResult(PrivacyRequest):
    disclosure: Disclosure | None = None
    requester_notified: bool = Field(
        default=False,
        description=(
            "Whether the member was texted that their request was answered (a proxy is "
            "answered by the channel their request came through)."
        ),
    )


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
def _field(request_id: str, name: str) -> str:
    return f"privacyRequest:{request_id}:{name}"


def _open(cipher: FieldCipher | None, request_id: str, name: str, token: str | None) -> str | None:
    if cipher is None or token is None:
        return None  # none given, or the member's key is shredded
    return cipher.open(_field(request_id, name), token)


def _proxy_state(filed: PrivacyRequestRecord) -> ProxyState | None:
    if filed.channel != PROXY:
        return None
    return ProxyState(
        evidence=[Evidence(type=e.type, reference=e.reference) for e in filed.evidence or ()],
        evidence_checked_at=filed.evidence_checked_at,
    )


def _answer_given(
    filed: PrivacyRequestRecord, given: AnswerRecord, opener: FieldCipher | None
) -> AnswerGiven:
    return AnswerGiven(
        outcome=given.outcome,
        reason=given.reason or _open(opener, filed.request_id, "reason", given.reason_enc),
        objection_path=given.objection_path,
        answered_at=given.answered_at,
    )


def _view(
    filed: PrivacyRequestRecord, now: datetime, cipher: FieldCipher | None, *, withhold: bool
) -> PrivacyRequest:
    """The request as its viewer may see it; member data only if not withheld and opened."""
    opener = None if withhold else cipher
    return PrivacyRequest(
        request_id=filed.request_id,
        kind=filed.kind,
        channel=filed.channel,
        state=filed.state,
        received_at=filed.received_at,
        due_at=filed.due_at,
        # A delayed request is overdue past the due date its delay gave (R-RIGHT-3).
        overdue=filed.state != ANSWERED and now > parse_iso(filed.due_at),
        member_data_withheld=withhold,
        member_id=None if withhold else filed.member_id,
        details=_open(opener, filed.request_id, "details", filed.details_enc),
        proxy=_proxy_state(filed),
        answers=[_answer_given(filed, given, opener) for given in filed.answers],
    )


def _record(actor: Caller, role: str, member_id: str, action: str) -> None:
    record_access(
        actor=actor.member_id,
        actor_role=role,
        member_id=member_id,
        action=action,
        source_ip=actor.source_ip,
    )


def _operator_view(operator: Caller, filed: PrivacyRequestRecord, now: datetime) -> PrivacyRequest:
    """An operator's view; opening the member's data leaves an access record (R-SEC-2)."""
    if filed.agency_unchecked:
        return _view(filed, now, None, withhold=True)
    _record(operator, "operator", filed.member_id, "view_privacy_request")
    return _view(filed, now, member_cipher(filed.member_id), withhold=False)


# ---------------------------------------------------------------------------- filing
def _file(
    member_id: str,
    kind: RequestKind,
    details: str | None,
    now: datetime,
    proxy: ProxyRequestFiling | None = None,
    filed_by: str | None = None,
) -> PrivacyRequestRecord:
    request_id = str(uuid.uuid4())
    cipher = member_cipher(member_id)
    if cipher is None:
        raise NotFound("No such member.")
    filed = PrivacyRequestRecord(
        request_id=request_id,
        member_id=member_id,
        kind=kind,
        channel=PROXY if proxy else MEMBER,
        state=OPEN,
        received_at=iso(now),
        due_at=iso(now + ANSWER_WITHIN),
        details_enc=(
            cipher.seal(_field(request_id, "details"), details) if details is not None else None
        ),
        evidence=(
            tuple(EvidenceReference(e.type, e.reference) for e in proxy.proxy.evidence)
            if proxy
            else None
        ),
        filed_by=filed_by,
    )
    requests_dal.put_new(filed)
    return filed


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def file_request(caller: Caller, filing: PrivacyRequestFiling, now: datetime) -> PrivacyRequest:
    """The member's own request; due 10 days after receipt."""
    _record(caller, "member", caller.member_id, "file_privacy_request")
    filed = _file(caller.member_id, filing.kind, filing.details, now)
    return _view(filed, now, member_cipher(caller.member_id), withhold=False)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def list_own_requests(
    caller: Caller, limit: int, next_token: str | None, now: datetime
) -> PrivacyRequestList:
    """The member's requests, newest first, including those a proxy filed for them."""
    scope = PageScope("GET /members/me/privacy-requests", caller.member_id)
    page, last_key = requests_dal.query_by_member(
        caller.member_id, limit, decode_token(next_token, scope)
    )
    _record(caller, "member", caller.member_id, "view_privacy_requests")
    cipher = member_cipher(caller.member_id)
    # Nothing is withheld from the member themselves, whoever filed the request.
    return PrivacyRequestList(
        items=[_view(filed, now, cipher, withhold=False) for filed in page],
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
    filed = _file(filing.member_id, filing.kind, filing.details, now, filing, operator.member_id)
    return _view(filed, now, None, withhold=True)


# ---------------------------------------------------------------------------- operator
@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def list_requests(
    operator: Caller, state: RequestState, limit: int, next_token: str | None, now: datetime
) -> PrivacyRequestList:
    """The queue in ``state``, earliest due date first: overdue requests lead."""
    scope = PageScope("GET /admin/privacy-requests", operator.member_id, {"state": state})
    page, last_key = requests_dal.query_by_state(state, limit, decode_token(next_token, scope))
    ciphers: dict[str, FieldCipher | None] = {}
    items = []
    for filed in page:
        if filed.agency_unchecked:
            items.append(_view(filed, now, None, withhold=True))
            continue
        member_id = filed.member_id
        if member_id not in ciphers:  # one key unwrap and one access record per member a page
            _record(operator, "operator", member_id, "view_privacy_requests")
            ciphers[member_id] = member_cipher(member_id)
        items.append(_view(filed, now, ciphers[member_id], withhold=False))
    return PrivacyRequestList(items=items, next_token=encode_token(last_key, scope))


def _load(request_id: str) -> PrivacyRequestRecord:
    filed = requests_dal.get(request_id)
    if filed is None:
        raise NotFound("No such privacy request.")
    return filed


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def get_request(operator: Caller, request_id: str, now: datetime) -> PrivacyRequest:
    return _operator_view(operator, _load(request_id), now)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def check_evidence(operator: Caller, request_id: str, now: datetime) -> PrivacyRequest:
    """The operator has checked the proof of agency: the member's data may now be disclosed."""
    filed = _load(request_id)
    if filed.channel != PROXY:
        raise NotFound("No such proxy request.")
    checked = requests_dal.check_evidence_once(request_id, iso(now), operator.member_id)
    return _operator_view(operator, checked or _load(request_id), now)


# ---------------------------------------------------------------------------- answering
# What an answer moves the request to; a delay leaves it in the queue (R-RIGHT-3).
_NEXT_STATE: dict[Outcome, RequestState] = {
    "done": ANSWERED,
    "delayed": DELAYED,
    "refused": ANSWERED,
}
# After a "done" answer is stored: what it still hands back (a view's disclosure). The act
# itself (rights.acts) is done before the answer is stored, and checked before it is done.
_Carry = Callable[[Caller], Disclosure | None]


@dataclass(frozen=True)
class _Acting:
    """A done answer about to be carried out."""

    operator: Caller
    filed: PrivacyRequestRecord
    answer: Answer
    cipher: FieldCipher | None
    now: datetime


def _nothing_more(_operator: Caller) -> Disclosure | None:
    return None


def _prepare_view(acting: _Acting) -> _Carry:
    """A view done discloses the member's data as held: it must still be held."""
    from partnercenter.rights import acts

    filed, cipher = acting.filed, acting.cipher
    member = members_dal.get_member(filed.member_id)
    if member is None or cipher is None:
        raise NotFound(acts.DATA_GONE)

    def disclose(operator: Caller) -> Disclosure:
        _record(operator, "operator", filed.member_id, "disclose_member_data")
        return _disclosure(member, cipher)

    return disclose


def _delete(acting: _Acting) -> _Carry:
    from partnercenter.rights import acts

    acts.delete_member(acting.operator, acting.filed, acting.now)
    return _nothing_more


def _correct(acting: _Acting) -> _Carry:
    from partnercenter.rights import acts

    if acting.cipher is None:
        raise NotFound(acts.DATA_GONE)
    acts.correct_member(
        acting.operator, acting.filed, acting.cipher, acting.answer.verification_id, acting.now
    )
    return _nothing_more


def _suspend(acting: _Acting) -> _Carry:
    from partnercenter.rights import acts

    acts.suspend_processing(acting.filed, acting.now)
    return _nothing_more


_PREPARE_DONE: dict[RequestKind, Callable[[_Acting], _Carry]] = {
    "view": _prepare_view,
    "delete": _delete,
    "correct": _correct,
    "suspend": _suspend,
}


def _prepare(acting: _Acting) -> _Carry:
    """Refuse a done answer the request cannot take, else do its act; what is left to carry
    out once the answer is stored."""
    if acting.answer.outcome != "done":
        return _nothing_more
    if acting.filed.agency_unchecked:
        raise ProxyEvidenceUnchecked()
    return _PREPARE_DONE[acting.filed.kind](acting)


def _given(
    filed: PrivacyRequestRecord, answer: Answer, cipher: FieldCipher | None, now: datetime
) -> AnswerRecord:
    """The answer as stored: its reason sealed, and how to object unless it is done."""
    reason = reason_enc = None
    if cipher is None:
        # The member was destroyed: free text can no longer be sealed, so a fixed reason stands.
        reason = DATA_DESTROYED_REASON
    elif answer.reason is not None:
        reason_enc = cipher.seal(_field(filed.request_id, "reason"), answer.reason)
    return AnswerRecord(
        outcome=answer.outcome,
        answered_at=iso(now),
        reason=reason,
        reason_enc=reason_enc,
        objection_path=(
            None if answer.outcome == "done" else answer.objection_path or default_objection_path()
        ),
    )


def _new_due_at(filed: PrivacyRequestRecord, answer: Answer, now: datetime) -> str | None:
    """R-RIGHT-3: a delay gives the request one more legal period from the delay's notice, never
    an earlier date; the request is overdue past it like any other."""
    if answer.outcome != "delayed":
        return None
    return iso(max(parse_iso(filed.due_at), now + ANSWER_WITHIN))


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def answer_request(
    operator: Caller, request_id: str, answer: Answer, now: datetime
) -> AnswerResult:
    """Done, delayed or refused; a delay or refusal says why and how to object (R-RIGHT-3).
    A done answer does what was asked (rights.acts); the requester is texted every answer."""
    # Imported here, not at init: the functions that read requests never act on one (the
    # rights function primes it, partnercenter.snapstart).
    from partnercenter.rights import acts

    if answer.outcome != "done" and answer.reason is None:
        raise ValidationFailed(
            "A delayed or refused answer must give its reason.", fields=["reason"]
        )
    filed = _load(request_id)
    if filed.state == ANSWERED:
        raise Conflict("This request was already answered.")
    cipher = member_cipher(filed.member_id)
    phone = acts.requester_phone(operator, filed, cipher)  # before a deletion destroys it
    carry_out = _prepare(_Acting(operator, filed, answer, cipher, now))
    given = _given(filed, answer, cipher, now)
    _record(operator, "operator", filed.member_id, "answer_privacy_request")
    # Atomically: a proxy's request is never done before its evidence is checked.
    answered = requests_dal.answer_if_open(
        request_id,
        given,
        _NEXT_STATE[answer.outcome],
        agency_checked=answer.outcome == "done",
        due_at=_new_due_at(filed, answer, now),
    )
    if answered is None:
        raise Conflict("The request changed meanwhile; load it and answer again.")
    view = _view(answered, now, cipher, withhold=answered.agency_unchecked)
    result = AnswerResult.model_validate(view.model_dump())
    result.disclosure = carry_out(operator)
    result.requester_notified = acts.notify_requester(phone, request_id, answer.outcome)
    return result


def _disclosure(member: MemberRecord, cipher: FieldCipher) -> Disclosure:
    fields = open_personal_fields(member, cipher)
    return Disclosure(
        member_id=member.member_id,
        login_id=fields.login_id,
        name=fields.name,
        phone=fields.phone,
        status=member.status,
        verified_at=member.verified_at,
        consents=ConsentState.of(member.consents),
        provisions=provisions_of(member.member_id, DISCLOSED_PROVISIONS, None).items,
    )
