"""What a privacy request's answer carries out (R-RIGHT-1..3): the work, not just the ticket.

- ``delete`` done: the member is withdrawn through the operator withdrawal itself
  (``retention.withdrawal.withdraw_on_request``), its destruction record naming the request.
- ``correct`` done: the name and phone a verification of the same person found become the
  profile's (R-RIGHT-1, R-IDV-3); without such a verification nothing is applied.
- ``suspend`` done: a processing suspension (처리정지) is recorded on the member; optional uses
  are refused from then on (``members.processing``).

Each act is done before the answer is stored and is idempotent, so a failure in between
leaves the request open and answering again finishes it. Then the requester is told by text
message: fixed wording and the request's id, nothing about the member (R-SEC-3).
"""

from __future__ import annotations

from datetime import datetime

from partnercenter.audit.access_records import record_access
from partnercenter.clock import iso, parse_iso
from partnercenter.crypto import FieldCipher
from partnercenter.dal import members as members_dal
from partnercenter.dal import transactions
from partnercenter.dal.members import IdentityCorrection, ProcessingSuspension
from partnercenter.dal.privacy_requests import MEMBER, Outcome, PrivacyRequestRecord
from partnercenter.dal.processing_suspensions import suspend_if_member
from partnercenter.dal.sms import SENDER_TAG, SmsRefused, korean_mobile_e164, send_sms
from partnercenter.errors import (
    Conflict,
    IdentityMismatch,
    NotFound,
    ValidationFailed,
    VerificationUsed,
)
from partnercenter.hashing import phone_hash
from partnercenter.identity.verified import consume_entry, load_for_use
from partnercenter.members.profile import PROFILE_CHANGE
from partnercenter.members.vault import open_personal_fields
from partnercenter.models import Caller
from partnercenter.observability import logger
from partnercenter.retention.withdrawal import (
    ProxyReference,
    WrittenWithdrawalRequest,
    withdraw_on_request,
)

DATA_GONE = "The member's data is no longer held; refuse the request with that reason."
# Who checked a member's own request's identity: their sign-in when they filed it.
SIGNED_IN = "portal-sign-in"

# The answer's text message: fixed wording and the request id, never anything of the member.
_NOTICE = {
    "done": "{tag} 개인정보 요청({id})의 처리가 완료되었습니다.",
    "delayed": (
        "{tag} 개인정보 요청({id})의 처리가 연기되었습니다. "
        "연기 사유와 이의제기 방법을 회원 페이지에서 확인해 주세요."
    ),
    "refused": (
        "{tag} 개인정보 요청({id})이 거절되었습니다. "
        "거절 사유와 이의제기 방법을 회원 페이지에서 확인해 주세요."
    ),
}


def run_id_of(request_id: str) -> str:
    """The withdrawal's request id for a deletion request: its destruction record's run id
    becomes ``withdrawal-privacy-request-<requestId>``."""
    return f"privacy-request-{request_id}"


def delete_member(operator: Caller, filed: PrivacyRequestRecord, now: datetime) -> None:
    """R-RIGHT-2/3: the operator withdrawal, on this request; a repeat answers as committed."""
    proxy = filed.channel != MEMBER
    written = WrittenWithdrawalRequest(
        channel="portal",
        received_at=parse_iso(filed.received_at),
        identity_checked_by=(filed.evidence_checked_by or operator.member_id)
        if proxy
        else SIGNED_IN,
        proxy=ProxyReference(privacy_request_id=filed.request_id) if proxy else None,
    )
    withdraw_on_request(operator, filed.member_id, written, run_id_of(filed.request_id), now)


def suspend_processing(filed: PrivacyRequestRecord, now: datetime) -> None:
    """처리정지: recorded on the member, where every optional use's gate reads it."""
    if not suspend_if_member(filed.member_id, ProcessingSuspension(iso(now), filed.request_id)):
        raise NotFound(DATA_GONE)


def correct_member(
    operator: Caller,
    filed: PrivacyRequestRecord,
    cipher: FieldCipher,
    verification_id: str | None,
    now: datetime,
) -> None:
    """R-RIGHT-1: a name or phone is corrected only to what a new verification of the same
    person found (R-IDV-3); the change and the verification's use commit together."""
    if verification_id is None:
        raise ValidationFailed(
            "A correction of the name or phone needs the member's new identity verification "
            "(POST /members/me/identity-verifications); send its verificationId. The request "
            "stays open.",
            fields=["verificationId"],
        )
    target = members_dal.get_member(filed.member_id)
    if target is None:
        raise NotFound(DATA_GONE)
    verification = load_for_use(verification_id, PROFILE_CHANGE, now, member_id=filed.member_id)
    if verification.person_hash != target.person_hash:
        raise IdentityMismatch("The verification is of another person than the member.")
    name, phone = verification.name, verification.phone
    correction = IdentityCorrection(
        verified_at=verification.verified_at,
        vendor=verification.vendor,
        name_enc=None if name is None else cipher.seal("name", name),
        phone_enc=None if phone is None else cipher.seal("phone", phone),
        phone_hash=None if phone is None else phone_hash(phone),
    )
    record_access(
        actor=operator.member_id,
        actor_role="operator",
        member_id=filed.member_id,
        action="correct_member_data",
        source_ip=operator.source_ip,
    )
    transaction = transactions.Transaction()
    transaction.add(
        "profile", members_dal.identity_correction(target.member_id, target.version, correction)
    )
    transaction.add("verification", consume_entry(verification, now))
    try:
        transaction.commit()
    except transactions.TransactionCancelled as cancelled:
        if cancelled.failed("verification"):
            raise VerificationUsed() from None
        raise Conflict("The member's profile changed meanwhile; answer again.") from None


def requester_phone(
    operator: Caller, filed: PrivacyRequestRecord, cipher: FieldCipher | None
) -> str | None:
    """The member's phone, to tell them the answer; read before a deletion destroys it.

    A proxy's request is answered to the proxy by the channel it came through: we hold no
    phone of theirs, and the member's is not theirs to be told on."""
    if filed.channel != MEMBER or cipher is None:
        return None
    member = members_dal.get_member(filed.member_id)
    if member is None:
        return None
    record_access(
        actor=operator.member_id,
        actor_role="operator",
        member_id=filed.member_id,
        action="notify_privacy_request_answer",
        source_ip=operator.source_ip,
    )
    return open_personal_fields(member, cipher).phone


def notify_requester(phone: str | None, request_id: str, outcome: Outcome) -> bool:
    """Text the requester that the request was answered; False if it could not be sent."""
    if phone is None:
        return False
    try:
        send_sms(korean_mobile_e164(phone), _NOTICE[outcome].format(tag=SENDER_TAG, id=request_id))
    except SmsRefused as refused:
        logger.warning("privacy request answer not texted", extra={"errorCode": refused.code})
        return False
    return True
