"""The reconciler: every 15 minutes, Cognito is brought in line with what MembersTable says
(docs/withdrawal.md, docs/signup.md, docs/architecture.md decision 6).

It reads only intents older than the in-flight window, through the sparse ``byIntent`` index,
and settles each one:
- a **profile mark** (a withdrawal or sanction that died before its commit): the account gets
  the state the profile says — enabled unless the member is suspended — and the mark goes;
- an **account deletion** (a committed withdrawal or rejection): what the commit's transaction
  had no room for in the member's partition (consent history) and the account are deleted,
  and the intent goes;
- a **signup claim** (a signup that died before its commit): the orphan account under the
  claimed login ID is deleted, and the claim goes, freeing the login ID.

Before acting it leases the intent (a conditional write of a new time), so an operation that
may take over a stale intent cannot start in between. Each account it changes gets an access
record with the actor ``reconciler`` (R-SEC-2); nothing personal is logged or reported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from partnercenter.audit.access_records import record_access
from partnercenter.clock import iso_micro
from partnercenter.crypto import UnreadableCiphertext
from partnercenter.dal import cognito, intents, member_deletes
from partnercenter.dal.members import ACTIVE, MemberRecord
from partnercenter.dal.pagination import StartKey
from partnercenter.dal.transactions import write_in_batches
from partnercenter.models import ApiModel
from partnercenter.observability import logger, tracer
from partnercenter.sanctions.rules import is_suspended

ACTOR = "reconciler"
PAGE_SIZE = 100
_MAX_PAGES = 10_000  # far above any backlog; the deadline stops sooner


class ReconcileReport(ApiModel):
    restored: int = 0  # accounts given the state their profile says after an operation died
    deleted: int = 0  # accounts of committed withdrawals and rejections
    orphans_deleted: int = 0  # accounts of signups that died before their commit
    settled: int = 0  # intents cleared, whether or not an account needed a change
    remaining: bool = False


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def reconcile(now: datetime, out_of_time: Callable[[], bool]) -> ReconcileReport:
    """Settle every intent older than the in-flight window, oldest first, until out of time."""
    report = ReconcileReport()
    before = iso_micro(now - intents.IN_FLIGHT_WINDOW)
    start_key: StartKey | None = None
    for _ in range(_MAX_PAGES):
        keys, start_key = intents.stale_page(before, PAGE_SIZE, start_key)
        for key in keys:
            if out_of_time():
                report.remaining = True
                return report
            _settle(key, before, now, report)
        if start_key is None:
            break
    logger.info("reconciled", extra=report.model_dump())
    return report


def _settle(key: intents.IntentKey, before: str, now: datetime, report: ReconcileReport) -> None:
    intent = intents.current(key)
    since = None if intent is None else intent.since
    if intent is None or since is None or since >= before:
        return  # settled or renewed since the index was read
    lease = f"{iso_micro(now)}#{ACTOR}"
    if not intents.lease(key, since, lease):
        return  # someone else acts on it now; a later run sees what is left
    if intent.kind == "delete" and intent.member_id is not None:
        _delete_account(intent.member_id, report)
    elif intent.login_id_hash is not None and intent.sealed_login_id is not None:
        _delete_orphan(intent.login_id_hash, intent.sealed_login_id, lease, report)
    elif intent.profile is not None:
        _restore(intent.profile, lease, now, report)
    report.settled += 1


def _delete_account(member_id: str, report: ReconcileReport) -> None:
    # A withdrawal that died right after its commit leaves the consent records its transaction
    # had no room for (docs/withdrawal.md, step 5); they go as the request would have deleted
    # them. The memberId is the account's sub, never reused, so the partition is the ended
    # member's alone.
    write_in_batches("leftovers", member_deletes.partition(member_id))
    username = cognito.username_of(member_id)
    if username is not None:
        # No global sign-out first: deleting the account ends its refresh tokens as surely
        # (docs/withdrawal.md).
        cognito.delete_own_user(username, member_id)
        _record(member_id, "delete_account")
        report.deleted += 1
    intents.account_deleted(member_id)


def _delete_orphan(login_hash: str, sealed: bytes, lease: str, report: ReconcileReport) -> None:
    # The claim still stands, so no member owns this login ID: any account under it is an orphan.
    try:
        login_id = intents.open_login_id(login_hash, sealed)
    except UnreadableCiphertext:
        # Altered, or sealed otherwise: no username to act on. The claim goes all the same, so
        # the run is not stuck on it; a signup of that login ID replaces the account it finds.
        logger.warning("signup claim unreadable; its account, if any, is left")
        intents.release_claim(login_hash, lease)
        return
    orphan = cognito.sub_of(login_id)
    if orphan is not None:
        cognito.delete_own_user(login_id, orphan)
        _record(orphan, "delete_orphan_account")
        report.orphans_deleted += 1
    intents.release_claim(login_hash, lease)


def _restore(profile: MemberRecord, lease: str, now: datetime, report: ReconcileReport) -> None:
    member_id = profile.member_id
    username = cognito.username_of(member_id)
    if username is not None:
        if profile.status == ACTIVE and not is_suspended(profile, now):
            cognito.enable_user(username)
        else:
            cognito.disable_user(username)
        _record(member_id, "restore_account")
        report.restored += 1
    intents.clear_profile_mark(member_id, lease)


def _record(member_id: str, action: str) -> None:
    record_access(actor=ACTOR, actor_role="system", member_id=member_id, action=action)
