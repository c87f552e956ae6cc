"""An operator's decision on a pending signup (R-COL-4, terms article 4).

Approve: the member becomes active and their Cognito account is enabled. Reject: the application
is destroyed now, like a withdrawal with no retention reason: profile, guards, consent history
and the data key (crypto-shredding, R-RET-6) in one transaction with its destruction record
(R-RET-7) and the intent to delete the Cognito account, which holds the login ID; then the
account is deleted (by the reconciler, should this request die first).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from partnercenter.audit.access_records import record_access
from partnercenter.clock import iso, iso_micro, utc_now
from partnercenter.dal import cognito, intents, transactions
from partnercenter.dal import members as members_dal
from partnercenter.dal.data_keys import shred
from partnercenter.dal.members import PENDING_APPROVAL, MemberRecord
from partnercenter.destruction import destruction_record
from partnercenter.errors import Conflict, NotFound
from partnercenter.members.vault import member_cipher
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import logger, tracer

APPLICATION_ITEMS = ["name", "phone", "loginId"]


class DecisionRequest(ApiModel):
    decision: Literal["approve", "reject"]
    # Free text may hold anything, so it is not stored: the access record keeps the decision.
    reason: str | None = Field(default=None, max_length=500)


class DecisionResult(ApiModel):
    member_id: str
    status: Literal["active", "rejected"]


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def decide(
    operator: Caller, member_id: str, request: DecisionRequest, request_id: str
) -> DecisionResult:
    member = members_dal.get_member(member_id)
    if member is None:
        raise NotFound("No such signup application.")
    if member.status != PENDING_APPROVAL:
        raise Conflict("This signup was already decided.")
    cipher = member_cipher(member_id)
    if cipher is None:
        raise NotFound("No such signup application.")
    # The Cognito username is the login ID; reading it is an access (R-SEC-2).
    login_id = cipher.open("loginId", member.login_id_enc)
    record_access(
        actor=operator.member_id,
        actor_role="operator",
        member_id=member_id,
        action=f"{request.decision}_signup",
        source_ip=operator.source_ip,
    )
    if request.decision == "approve":
        _approve(member_id, login_id)
        return DecisionResult(member_id=member_id, status="active")
    _reject(member, login_id, request_id)
    return DecisionResult(member_id=member_id, status="rejected")


def _approve(member_id: str, login_id: str) -> None:
    now = utc_now()
    since = f"{iso_micro(now)}#approve"
    # The transition carries the intent (the profile's mark): should this request die before
    # the account is enabled, the reconciler enables it (the profile says active).
    if not members_dal.approve(member_id, iso(now), since):
        raise Conflict("This signup was decided meanwhile.")
    try:
        cognito.enable_user(login_id)
    except BaseException:
        # Pending again: an active member who cannot sign in would be worse than a retry.
        members_dal.undo_approval(member_id)
        raise
    intents.clear_profile_mark(member_id, since)


def _reject(member: MemberRecord, login_id: str, request_id: str) -> None:
    member_id = member.member_id
    now = utc_now()
    # The profile goes only while still pending and the guards only while still this member's,
    # so a decision that raced with another changes nothing.
    transaction = (
        transactions.Transaction()
        .add("profile", members_dal.pending_profile_delete(member_id))
        .add("login_id_guard", members_dal.own_login_id_guard_delete(member))
        .add("person_guard", members_dal.own_person_guard_delete(member))
        .add_group("consent_history", members_dal.history_deletes(member_id))
        .add("data_key", shred(member_id))
        .add(
            "destruction_record",
            destruction_record(
                member_id=member_id,
                kind="signup_application",
                items=APPLICATION_ITEMS,
                reason="signup rejected",
                run_id=f"decision-{request_id}",
                at=now,
            ),
        )
        # The account holds the login ID: the commit says it must go, so a request that dies
        # before deleting it leaves the deletion to the reconciler.
        .add(
            "account_deletion",
            intents.account_deletion_put(member_id, f"{iso_micro(now)}#{request_id}"),
        )
    )
    try:
        transaction.commit()
    except transactions.TransactionCancelled:
        raise Conflict("This signup was decided meanwhile.") from None
    # Only this member's account: a new signup may already own the login ID.
    cognito.delete_own_user(login_id, member_id)
    intents.account_deleted(member_id)
    logger.info("signup application destroyed", extra={"reason": "signup rejected"})
