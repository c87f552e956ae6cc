"""Withdrawal (R-RIGHT-2, R-RET-1..7): destroy now what no hold covers, separate what one does.

Atomic from the outside (docs/withdrawal.md). Everything is read and prepared first; then the
Cognito account is disabled (reversible) and ONE transaction is the commit point: it deletes
the profile, guards and consent history, shreds the member's data key, stores the retained
items in separated storage under a new data key, writes the automatic hold and the destruction
record. A failed commit re-enables the account: the member is untouched. After the commit
only idempotent clean-up remains (global sign-out, deleting the account); the retained record
is the withdrawal's receipt, so a repeated request finishes that clean-up and answers the same.

Two entry points share that one withdrawal: the member's own request (``withdraw``) and an
operator acting on the member's written request, by letter, e-mail or phone (the policy's way
to withdraw, ``withdraw_on_request``); the latter is recorded as the operator's act (access
record) and its destruction record's reason names the request. A proxy's request is carried
out only once its proof of agency has been checked (R-RIGHT-4). A deletion privacy request
answered done is carried out through ``withdraw_on_request`` too (``rights.acts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, StringConstraints

from partnercenter.api import ApiModel, Caller
from partnercenter.audit.access_records import record_access
from partnercenter.clock import EARLIEST_PLAUSIBLE, iso, iso_micro, utc_now
from partnercenter.config import get_settings
from partnercenter.crypto import FieldCipher
from partnercenter.dal import cognito, intents
from partnercenter.dal import holds as holds_dal
from partnercenter.dal import members as members_dal
from partnercenter.dal import privacy_requests as privacy_requests_dal
from partnercenter.dal import retained as retained_dal
from partnercenter.dal.data_keys import RETAINED_DATA, new_data_key, retained_subject, shred
from partnercenter.dal.transactions import MAX_ITEMS, TransactionCancelled, write
from partnercenter.errors import (
    Conflict,
    NotFound,
    ProxyEvidenceUnchecked,
    Unauthorized,
    ValidationFailed,
)
from partnercenter.members.records import ACTIVE
from partnercenter.members.session import current_member
from partnercenter.members.vault import member_cipher
from partnercenter.observability import logger
from partnercenter.retention.destruction import destruction_record_put
from partnercenter.retention.holds import (
    RETAINABLE_ITEMS,
    RetainedEntry,
    due_at,
    fraud_prevention_hold,
    load_holds,
    retained_entries,
    retained_items,
)
from partnercenter.sanctions.rules import is_suspended
from partnercenter.sanctions.service import membership_end_entries


class WithdrawalRequest(ApiModel):
    """The body is ``{}``: a withdrawal has nothing to choose."""


class WithdrawalReceipt(ApiModel):
    status: Literal["withdrawn"] = "withdrawn"
    retained: list[RetainedEntry]


Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:#/-]{1,64}$")]


class ProxyReference(ApiModel):
    """The proxy's deletion request (POST /admin/privacy-requests) with its proof of agency."""

    privacy_request_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WrittenWithdrawalRequest(ApiModel):
    """The member's (or their proxy's) written request, as the staff received it."""

    # "portal": a deletion request the member filed signed in (POST /members/me/privacy-requests).
    channel: Literal["letter", "email", "phone", "portal"]
    received_at: AwareDatetime
    # Who checked the requester's identity or agency: a staff id, never a name or an address.
    identity_checked_by: Identifier
    proxy: ProxyReference | None = None


class MemberDataKeyMissing(Exception):
    """The member's data key is gone while their profile is not: nothing can be separated."""


@dataclass(frozen=True)
class WithdrawnBy:
    """Who carries out the withdrawal, and why, as its records will say."""

    actor: str
    actor_role: Literal["member", "operator"]
    source_ip: str
    action: str  # the access record's action
    reason: str  # the destruction record's reason

    @classmethod
    def member(cls, caller: Caller) -> WithdrawnBy:
        return cls(caller.member_id, "member", caller.source_ip, "withdraw", "withdrawal")

    @classmethod
    def operator(cls, operator: Caller, request: WrittenWithdrawalRequest) -> WithdrawnBy:
        who = "a proxy's" if request.proxy else "the member's"
        checked = "agency" if request.proxy else "identity"
        reason = (
            f"withdrawal on {who} written request ({request.channel}, received "
            f"{iso(request.received_at)}, {checked} checked by {request.identity_checked_by}"
            + (f", privacy request {request.proxy.privacy_request_id}" if request.proxy else "")
            + ")"
        )
        return cls(
            operator.member_id, "operator", operator.source_ip, "withdraw_on_request", reason
        )


def withdraw(caller: Caller, request_id: str) -> WithdrawalReceipt:
    """Withdraw the calling member, or answer again for a withdrawal already committed."""
    try:
        # Withdrawal stays open whatever the member thinks of a new policy (R-RIGHT-2, R-NOT-1),
        # and during a suspension: the right to withdraw is never suspended (R-COL-5).
        member = current_member(caller, require_policy_consent=False, allow_suspended=True)
    except Unauthorized:
        # A repeat (or a retry after a fault past the commit): finish and answer the same.
        committed = _already_committed(caller.member_id)
        if committed is None:
            raise
        return committed
    return _withdraw(member, WithdrawnBy.member(caller), request_id)


def withdraw_on_request(
    operator: Caller,
    member_id: str,
    request: WrittenWithdrawalRequest,
    request_id: str,
    now: datetime | None = None,
) -> WithdrawalReceipt:
    """An operator withdraws a member on their written request: the same withdrawal, the same
    answer (R-RIGHT-2); a repeat answers again like the member's own repeat does."""
    if not EARLIEST_PLAUSIBLE <= request.received_at <= (now or utc_now()):
        raise ValidationFailed(
            "receivedAt is when the staff received the request: a past time.",
            fields=["receivedAt"],
        )
    if request.proxy is not None:
        _check_agency(member_id, request.proxy.privacy_request_id)
    member = members_dal.get_member(member_id)
    if member is None:
        committed = _already_committed(member_id)
        if committed is None:
            raise NotFound("No such member.")
        return committed
    if member.get("status") != ACTIVE:
        raise NotFound(
            "No active member with this id; a pending application is decided with "
            "POST /admin/members/{memberId}/decision."
        )
    return _withdraw(member, WithdrawnBy.operator(operator, request), request_id)


def _check_agency(member_id: str, privacy_request_id: str) -> None:
    """A proxy withdraws a member only through a deletion request whose agency was checked."""
    filed = privacy_requests_dal.get(privacy_request_id)
    if filed is None or filed.member_id != member_id or filed.channel != "proxy":
        raise NotFound("No proxy privacy request with this id for this member.")
    if filed.kind != "delete":
        raise ValidationFailed(
            "A proxy withdraws a member through a deletion request (kind delete); file one with "
            "the proof of agency for this.",
            fields=["proxy.privacyRequestId"],
        )
    if filed.agency_unchecked:
        raise ProxyEvidenceUnchecked(
            "A proxy's withdrawal request is carried out only once an operator has checked the "
            "proof of agency (POST /admin/privacy-requests/{requestId}/evidence-checked)."
        )


def _already_committed(member_id: str) -> WithdrawalReceipt | None:
    """The answer of a committed withdrawal (its retained record is the receipt), if any."""
    receipt = retained_dal.get_bookkeeping(member_id)
    return None if receipt is None else _finish(member_id, list(receipt["items"]))


def _member_deletes(
    member: dict[str, Any], item_keys: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The profile as read (a concurrent change cancels), the guards while still the member's,
    then the rest of the member's partition (consent history)."""
    table = get_settings().members_table
    member_id = str(member["memberId"])
    ours = {":m": {"S": member_id}}
    deletes: list[dict[str, Any]] = [
        {
            "Delete": {
                "TableName": table,
                "Key": members_dal.member_key(member_id),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(member["version"])}},
            }
        }
    ]
    for guard in (
        members_dal.login_id_guard_key(member["loginIdHash"]),
        members_dal.person_guard_key(member["personHash"]),
    ):
        deletes.append(
            {
                "Delete": {
                    "TableName": table,
                    "Key": guard,
                    "ConditionExpression": "attribute_not_exists(pk) OR memberId = :m",
                    "ExpressionAttributeValues": ours,
                }
            }
        )
    deletes.extend(
        {"Delete": {"TableName": table, "Key": key}}
        for key in item_keys
        if key["sk"]["S"] != members_dal.PROFILE
    )
    return deletes


def _withdraw(member: dict[str, Any], by: WithdrawnBy, request_id: str) -> WithdrawalReceipt:
    member_id = str(member["memberId"])
    now = utc_now()
    existing, version = load_holds(member_id)
    automatic = fraud_prevention_hold(now)
    holds = [*existing, automatic]
    kept = retained_items(holds, now)
    destroyed = ["loginId", *(item for item in RETAINABLE_ITEMS if item not in kept), "consents"]
    item_keys = members_dal.member_item_keys(member_id)
    cipher = member_cipher(member_id)
    if cipher is None:
        # A concurrent withdrawal committed since the profile was read: answer as it did.
        committed = _already_committed(member_id)
        if committed is None:
            raise MemberDataKeyMissing()
        return committed
    # Opening the items to move them is an access to personal data (R-SEC-2).
    record_access(
        actor=by.actor,
        actor_role=by.actor_role,
        member_id=member_id,
        action=by.action,
        source_ip=by.source_ip,
    )
    # Separated storage: the kept items under a new data key that RetainedKey wraps (R-RET-5).
    retained_key = new_data_key(retained_subject(member_id), RETAINED_DATA)
    sealer = FieldCipher(retained_key.subject, retained_key.plaintext)
    record = {
        "subject": member_id,
        "withdrawnAt": iso(now),
        "items": kept,
        "holdVersion": 1,
        "holdIds": {hold.hold_id for hold in holds},
        "dueAt": due_at(holds, now),
        # Fraud prevention: a re-signup with this phone within the year shows (R-RET-2).
        "phoneHash": member["phoneHash"] if "phone" in kept else None,
        **{
            f"{item}Enc": sealer.seal(item, cipher.open(item, member[f"{item}Enc"]))
            for item in kept
        },
    }
    member_deletes = _member_deletes(member, item_keys)
    entries = [
        *member_deletes[:3],
        shred(member_id),  # crypto-shredding: every copy of the live ciphertexts dies (R-RET-6)
        retained_key.put,
        retained_dal.put_entry(record),
        holds_dal.put_entry(automatic.row(member_id)),
        holds_dal.version_retire_entry(member_id, version),
        destruction_record_put(
            member_id=member_id,
            kind="member_profile",
            items=destroyed,
            reason=by.reason,
            run_id=f"withdrawal-{request_id}",
            at=now,
        ),
        # Open sanctions end with the membership; their records' retention starts (R-RET-8).
        *membership_end_entries(member, now),
    ]
    since = f"{iso_micro(now)}#{request_id}"
    # Consent history rides along while it fits; _finish deletes any rest after the commit.
    entries += member_deletes[3 : 3 + MAX_ITEMS - 1 - len(entries)]
    # The commit also says the account must go: a withdrawal that dies after it is finished
    # by the reconciler.
    entries.append(intents.account_deletion_put(member_id, since))
    username = cognito.username_of(member_id)
    # The intent first: should this request die before the commit, the reconciler finds the
    # mark and enables the account again (docs/withdrawal.md).
    owner = intents.mark_profile(member_id, int(member["version"]), "withdraw", since, now)
    if not owner and not _another_withdrawal_under_way(member_id):
        committed = _already_committed(member_id)
        if committed is not None:
            return committed
        raise Conflict("Your data changed meanwhile, or another change is under way; retry.")
    try:
        if owner and username is not None:
            cognito.disable_user(username)  # no sign-in from here on, unless the commit fails
        write(entries)
    except Exception as exc:
        # Committed after all (a lost reply), or a concurrent withdrawal did: finish it.
        committed = _already_committed(member_id)
        if committed is not None:
            return committed
        if owner:
            if username is not None and not is_suspended(member, now):
                # Nothing changed (even if the disabling's reply was lost): the member is
                # untouched; a suspended member's account stays disabled, as it was.
                cognito.enable_user(username)
            intents.clear_profile_mark(member_id, since)
        if isinstance(exc, TransactionCancelled):
            logger.info("withdrawal lost a race", extra={"reasons": exc.reasons})
            raise Conflict("Your data or its retention holds changed meanwhile; retry.") from None
        raise
    logger.info("member withdrawn", extra={"retained": kept, "destroyed": destroyed})
    return _finish(member_id, kept)


def _another_withdrawal_under_way(member_id: str) -> bool:
    """A concurrent withdrawal holds the mark: this one rides on it and leaves the account to
    that one (or the reconciler), so that both answer alike whichever commits."""
    member = members_dal.get_member(member_id)
    return member is not None and member.get("cognitoIntent") == "withdraw"


def _finish(member_id: str, kept: list[str]) -> WithdrawalReceipt:
    """The idempotent rest of a committed withdrawal, then the answer from the holds as stored."""
    leftovers = [
        {"Delete": {"TableName": get_settings().members_table, "Key": key}}
        for key in members_dal.member_item_keys(member_id)
    ]
    for start in range(0, len(leftovers), MAX_ITEMS):
        write(leftovers[start : start + MAX_ITEMS])
    username = cognito.username_of(member_id)
    if username is not None:
        cognito.sign_out_everywhere(username)
        cognito.delete_user(username)
    intents.account_deleted(member_id)
    holds, _ = load_holds(member_id)
    return WithdrawalReceipt(retained=retained_entries(holds, kept))
