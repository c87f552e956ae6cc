"""Withdrawal (R-RIGHT-2, R-RET-1..7): destroy now what no hold covers, separate what one does.

Atomic from the outside (docs/withdrawal.md). Everything is read and prepared first; then the
Cognito account is disabled (reversible) and ONE transaction is the commit point: it deletes
the profile, guards and consent history, shreds the member's data key, stores the retained
items in separated storage under a new data key, writes the automatic hold and the destruction
record. A failed commit re-enables the account: the member is untouched. After the commit
only idempotent clean-up remains (global sign-out, deleting the account); the retained record
is the withdrawal's receipt, so a repeated request finishes that clean-up and answers the same.
"""

from __future__ import annotations

from typing import Any, Literal

from partnercenter.api import ApiModel, Caller
from partnercenter.audit.access_records import record_access
from partnercenter.clock import iso, utc_now
from partnercenter.config import get_settings
from partnercenter.crypto import FieldCipher
from partnercenter.dal import cognito
from partnercenter.dal import holds as holds_dal
from partnercenter.dal import members as members_dal
from partnercenter.dal import retained as retained_dal
from partnercenter.dal.data_keys import RETAINED_DATA, new_data_key, retained_subject, shred
from partnercenter.dal.transactions import MAX_ITEMS, TransactionCancelled, write
from partnercenter.errors import Conflict, Unauthorized
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


class WithdrawalRequest(ApiModel):
    """The body is ``{}``: a withdrawal has nothing to choose."""


class WithdrawalReceipt(ApiModel):
    status: Literal["withdrawn"] = "withdrawn"
    retained: list[RetainedEntry]


class MemberDataKeyMissing(Exception):
    """The member's data key is gone while their profile is not: nothing can be separated."""


def withdraw(caller: Caller, request_id: str) -> WithdrawalReceipt:
    """Withdraw the calling member, or answer again for a withdrawal already committed."""
    try:
        # Withdrawal stays open whatever the member thinks of a new policy (R-RIGHT-2, R-NOT-1).
        member = current_member(caller, require_policy_consent=False)
    except Unauthorized:
        # A repeat (or a retry after a fault past the commit): finish and answer the same.
        committed = _already_committed(caller.member_id)
        if committed is None:
            raise
        return committed
    return _withdraw(member, caller, request_id)


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


def _withdraw(member: dict[str, Any], caller: Caller, request_id: str) -> WithdrawalReceipt:
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
        actor=member_id,
        actor_role="member",
        member_id=member_id,
        action="withdraw",
        source_ip=caller.source_ip,
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
            reason="withdrawal",
            run_id=f"withdrawal-{request_id}",
            at=now,
        ),
    ]
    # Consent history rides along while it fits; _finish deletes any rest after the commit.
    entries += member_deletes[3 : 3 + MAX_ITEMS - len(entries)]
    username = cognito.username_of(member_id)
    try:
        if username is not None:
            cognito.disable_user(username)  # no sign-in from here on, unless the commit fails
        write(entries)
    except Exception as exc:
        # Committed after all (a lost reply), or a concurrent withdrawal did: finish it.
        committed = _already_committed(member_id)
        if committed is not None:
            return committed
        if username is not None:
            # Nothing changed (even if the disabling's reply was lost): the member is untouched.
            cognito.enable_user(username)
        if isinstance(exc, TransactionCancelled):
            logger.info("withdrawal lost a race", extra={"reasons": exc.reasons})
            raise Conflict("Your data or its retention holds changed meanwhile; retry.") from None
        raise
    logger.info("member withdrawn", extra={"retained": kept, "destroyed": destroyed})
    return _finish(member_id, kept)


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
    holds, _ = load_holds(member_id)
    return WithdrawalReceipt(retained=retained_entries(holds, kept))
