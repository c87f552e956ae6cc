"""Withdrawal (R-RIGHT-2, R-RET-1..7): destroy now what no hold covers, separate what one does.

Atomic from the outside (docs/withdrawal.md). Everything is read and prepared first; then the
Cognito account is disabled (reversible) and ONE transaction is the commit point: it deletes
the profile, guards and consent history, shreds the member's data key, stores the retained
items in separated storage under a new data key, writes the automatic hold and the destruction
record. A failed commit re-enables the account: the member is untouched. After the commit
only idempotent clean-up remains (deleting the account); the retained record is the
withdrawal's receipt, so a repeated request finishes that clean-up and answers the same. What
the request read before the commit (the member's partition, the holds, the Cognito username)
is passed along, not read again (docs/withdrawal.md).

Two entry points share that one withdrawal: the member's own request (``withdraw``) and an
operator acting on the member's written request, by letter, e-mail or phone (the policy's way
to withdraw, ``withdraw_on_request``); the latter is recorded as the operator's act (access
record) and its destruction record's reason names the request. A proxy's request is carried
out only once its proof of agency has been checked (R-RIGHT-4). A deletion privacy request
answered done is carried out through ``withdraw_on_request`` too (``rights.acts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, StringConstraints

from partnercenter.audit.access_records import record_access
from partnercenter.clock import EARLIEST_PLAUSIBLE, iso, iso_micro, utc_now
from partnercenter.crypto import FieldCipher
from partnercenter.dal import cognito, intents, member_deletes
from partnercenter.dal import holds as holds_dal
from partnercenter.dal import members as members_dal
from partnercenter.dal import privacy_requests as privacy_requests_dal
from partnercenter.dal import retained as retained_dal
from partnercenter.dal.data_keys import RETAINED_DATA, new_data_key, retained_subject, shred
from partnercenter.dal.holds import HoldRecord
from partnercenter.dal.member_reads import member_with_data_key
from partnercenter.dal.members import ACTIVE, MemberRecord
from partnercenter.dal.retained import RetainedRecord
from partnercenter.dal.transactions import (
    Entry,
    Transaction,
    TransactionCancelled,
    write_in_batches,
)
from partnercenter.destruction import destruction_record
from partnercenter.errors import (
    Conflict,
    NotFound,
    ProxyEvidenceUnchecked,
    Unauthorized,
    ValidationFailed,
)
from partnercenter.members.vault import data_key_read_with_member, member_cipher
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import logger, tracer
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


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def withdraw(caller: Caller, member: MemberRecord | None, request_id: str) -> WithdrawalReceipt:
    """Withdraw the calling member, or answer again for a withdrawal already committed.

    ``member`` is None once the route's gate no longer finds the session (withdrawn, signed
    out): a repeat (or a retry after a fault past the commit) is finished and answered the same.
    """
    if member is None:
        committed = _already_committed(caller.member_id)
        if committed is None:
            raise Unauthorized("Your session has ended; sign in again.")
        return committed
    return _withdraw(member, WithdrawnBy.member(caller), request_id)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
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
    # The member and their data key in one round trip, as the member's own route's gate reads
    # them; the key serves this withdrawal only (members/vault.py).
    read = member_with_data_key(member_id)
    member = read.member
    if member is None:
        committed = _already_committed(member_id)
        if committed is None:
            raise NotFound("No such member.")
        return committed
    if member.status != ACTIVE:
        raise NotFound(
            "No active member with this id; a pending application is decided with "
            "POST /admin/members/{memberId}/decision."
        )
    with data_key_read_with_member(read.data_key):
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
    return None if receipt is None else _finish(member_id, list(receipt.items))


def _committed_or_raise(member_id: str, error: Exception) -> WithdrawalReceipt:
    """A withdrawal that committed meanwhile answers; otherwise ``error`` is raised."""
    committed = _already_committed(member_id)
    if committed is None:
        raise error
    return committed


@dataclass(frozen=True)
class _Retention:
    """What the member's holds decide at the withdrawal (R-RET-1, R-RET-2)."""

    holds: list[HoldRecord]  # the existing ones and the automatic one
    automatic: HoldRecord
    version: int | None  # of the live hold set, as read
    kept: list[str]
    destroyed: list[str]

    @classmethod
    def read(cls, member_id: str, now: datetime) -> _Retention:
        existing, version = load_holds(member_id)
        automatic = fraud_prevention_hold(now)
        holds = [*existing, automatic]
        kept = retained_items(holds, now)
        destroyed = ["loginId", *(i for i in RETAINABLE_ITEMS if i not in kept), "consents"]
        return cls(holds, automatic, version, kept, destroyed)


@dataclass(frozen=True)
class _Withdrawal:
    """One withdrawal under way: whose, by whom, when, and what the member's holds decide."""

    member: MemberRecord
    by: WithdrawnBy
    request_id: str
    now: datetime
    retention: _Retention

    @property
    def member_id(self) -> str:
        return self.member.member_id

    @property
    def since(self) -> str:
        """When the profile's mark and the account deletion intent were set, and by which
        request."""
        return f"{iso_micro(self.now)}#{self.request_id}"


@dataclass(frozen=True)
class _Mark:
    """The profile's withdrawal mark: whether this request set it (else a concurrent
    withdrawal holds it and owns the account), and the account it guards."""

    owner: bool
    username: str = field(repr=False)  # the login ID: personal data, kept out of repr


@dataclass(frozen=True)
class _Committed:
    """What this request knows of its own commit, so that finishing reads nothing again:
    the member's items the transaction had no room for, and the holds it committed under."""

    leftovers: list[Entry]
    holds: list[HoldRecord]


def _retained_record(w: _Withdrawal, cipher: FieldCipher) -> tuple[RetainedRecord, Entry]:
    """Separated storage: the kept items under a new data key (R-RET-5), and that key's put."""
    retained_key = new_data_key(retained_subject(w.member_id), RETAINED_DATA)
    sealer = FieldCipher(retained_key.subject, retained_key.plaintext)
    kept, member = w.retention.kept, w.member
    record = RetainedRecord(
        subject=w.member_id,
        withdrawn_at=iso(w.now),
        items=tuple(kept),
        hold_version=1,
        hold_ids=frozenset(hold.hold_id for hold in w.retention.holds),
        due_at=due_at(w.retention.holds, w.now),
        # Fraud prevention: a re-signup with this phone within the year shows (R-RET-2).
        phone_hash=member.phone_hash if "phone" in kept else None,
        sealed={item: sealer.seal(item, cipher.open(item, member.sealed(item))) for item in kept},
    )
    return record, retained_key.put


def _add_member_deletes(w: _Withdrawal, transaction: Transaction) -> None:
    """The profile as read (a concurrent change cancels) and the guards while still the
    member's."""
    member, member_id = w.member, w.member_id
    transaction.add("profile", member_deletes.profile_if_unchanged(member_id, member.version))
    transaction.add(
        "login_id_guard", member_deletes.login_id_guard_if_ours(member.login_id_hash, member_id)
    )
    transaction.add(
        "person_guard", member_deletes.person_guard_if_ours(member.person_hash, member_id)
    )


def _destruction_record(w: _Withdrawal) -> Entry:
    return destruction_record(
        member_id=w.member_id,
        kind="member_profile",
        items=w.retention.destroyed,
        reason=w.by.reason,
        run_id=f"withdrawal-{w.request_id}",
        at=w.now,
    )


def _transaction(
    w: _Withdrawal, cipher: FieldCipher, consent_history: list[Entry]
) -> tuple[Transaction, list[Entry]]:
    """The commit point: everything the withdrawal writes, all of it or none; and the consent
    records it had no room for (deleted right after the commit)."""
    member_id = w.member_id
    record, retained_key = _retained_record(w, cipher)
    transaction = Transaction()
    _add_member_deletes(w, transaction)
    # Crypto-shredding: every copy of the live ciphertexts dies (R-RET-6).
    transaction.add("shred", shred(member_id))
    transaction.add("retained_key", retained_key)
    transaction.add("retained_record", retained_dal.put_once(record))
    transaction.add("fraud_prevention_hold", holds_dal.put_new(member_id, w.retention.automatic))
    transaction.add(
        "hold_version", holds_dal.retire_version_if_unchanged(member_id, w.retention.version)
    )
    transaction.add("destruction_record", _destruction_record(w))
    # Open sanctions end with the membership; their records' retention starts (R-RET-8).
    transaction.add_group("sanction_ends", membership_end_entries(w.member, w.now))
    # Consent history rides along while it fits; _finish deletes the rest after the commit.
    rest = transaction.fill("consent_history", consent_history, keep_free=1)
    # The commit also says the account must go: a withdrawal that dies after it is finished
    # by the reconciler.
    transaction.add("account_deletion_intent", intents.account_deletion_put(member_id, w.since))
    return transaction, rest


def _withdraw(member: MemberRecord, by: WithdrawnBy, request_id: str) -> WithdrawalReceipt:
    member_id = member.member_id
    now = utc_now()
    w = _Withdrawal(member, by, request_id, now, _Retention.read(member_id, now))
    # The partition is read once: every later write to it changes the profile's version too
    # (consents), which cancels the commit, so what the commit leaves is known without a read.
    consent_history = member_deletes.partition_rest(member_id)
    cipher = member_cipher(member_id)
    if cipher is None:
        # A concurrent withdrawal committed since the profile was read (the batch reads the
        # profile and the key apart): answer as it did.
        return _committed_or_raise(member_id, MemberDataKeyMissing())
    # Opening the items to move them is an access to personal data (R-SEC-2).
    record_access(
        actor=by.actor,
        actor_role=by.actor_role,
        member_id=member_id,
        action=by.action,
        source_ip=by.source_ip,
    )
    transaction, leftovers = _transaction(w, cipher, consent_history)
    # The account's username is the login ID, opened with the items above: no lookup. While
    # the member is live their login-ID guard keeps any other signup from that username.
    username = cipher.open("loginId", member.login_id_enc)
    # The intent first: should this request die before the commit, the reconciler finds the
    # mark and enables the account again (docs/withdrawal.md).
    owner = intents.mark_profile(member_id, member.version, "withdraw", w.since, now)
    if not owner and not _another_withdrawal_under_way(member_id):
        return _committed_or_raise(
            member_id,
            Conflict("Your data changed meanwhile, or another change is under way; retry."),
        )
    committed = _commit(w, transaction, _Mark(owner, username))
    if committed is not None:
        return committed
    logger.info(
        "member withdrawn",
        extra={"retained": w.retention.kept, "destroyed": w.retention.destroyed},
    )
    return _finish(member_id, w.retention.kept, _Committed(leftovers, w.retention.holds))


def _commit(w: _Withdrawal, transaction: Transaction, mark: _Mark) -> WithdrawalReceipt | None:
    """Disable the account, then commit. None once committed here; the receipt if another
    withdrawal (or this one, with its reply lost) committed; otherwise the member is left
    untouched and the failure raised."""
    try:
        if mark.owner:
            # No sign-in from here on, unless the commit fails; an account already gone (an
            # operator removed it) leaves the data to withdraw all the same.
            cognito.disable_if_exists(mark.username)
        transaction.commit()
    except Exception as exc:
        # Committed after all (a lost reply), or a concurrent withdrawal did: finish it.
        committed = _already_committed(w.member_id)
        if committed is not None:
            return committed
        if mark.owner:
            if not is_suspended(w.member, w.now):
                # Nothing changed (even if the disabling's reply was lost): the member is
                # untouched; a suspended member's account stays disabled, as it was.
                cognito.enable_if_exists(mark.username)
            intents.clear_profile_mark(w.member_id, w.since)
        if isinstance(exc, TransactionCancelled):
            logger.info("withdrawal lost a race", extra={"reasons": exc.reasons})
            raise Conflict("Your data or its retention holds changed meanwhile; retry.") from None
        raise
    return None


def _another_withdrawal_under_way(member_id: str) -> bool:
    """A concurrent withdrawal holds the mark: this one rides on it and leaves the account to
    that one (or the reconciler), so that both answer alike whichever commits."""
    member = members_dal.get_member(member_id)
    return member is not None and member.cognito_intent == "withdraw"


def _finish(
    member_id: str, kept: list[str], committed: _Committed | None = None
) -> WithdrawalReceipt:
    """The idempotent rest of a committed withdrawal, then the answer from the holds as
    committed. ``committed`` is None when another request (or a lost reply) committed: the
    partition and the holds are read as stored then."""
    leftovers = member_deletes.partition(member_id) if committed is None else committed.leftovers
    write_in_batches("leftovers", leftovers)
    # Found by sub, not by the login ID read before the commit: the commit freed the login ID,
    # and a new signup under it removes an ended membership's account and makes its own.
    username = cognito.username_of(member_id)
    if username is not None:
        # No global sign-out first: deleting the account ends its refresh tokens as surely
        # (Cognito refreshes only for a user that exists), and an unexpired ID token meets
        # the member gate's 401 (no profile) either way (docs/withdrawal.md).
        cognito.delete_user(username)
    intents.account_deleted(member_id)
    holds = load_holds(member_id)[0] if committed is None else committed.holds
    return WithdrawalReceipt(retained=retained_entries(holds, kept))
