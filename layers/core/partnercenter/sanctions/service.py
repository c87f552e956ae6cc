"""Operators suspend (이용정지) and lift; a suspended member can neither sign in nor use member
routes (R-COL-5). Sanction records are usage records with their own retention (R-RET-8).

A sanction is written in ONE transaction with the member's profile map of open sanctions
(optimistic locking on the profile's ``version``), which ``current_member`` reads to refuse
member routes with 403 MEMBER_SUSPENDED, and with what the profile shows of the member's
sanction records (``sanctionRecords``), so that GET /members/me reads no other table and can
never disagree with SanctionsTable. Sign-in is refused by disabling the Cognito account:
before the commit (re-enabled if the commit fails and nothing else suspends the member), so no
moment exists in which a committed sanction leaves sign-in open. A mark on the profile (the
intent) precedes the disabling and the commit clears it; should the request die in between, the
reconciler re-enables the account (partnercenter.reconciler). Re-enabling happens when the
last sanction in force is lifted or, for a sanction with an end date, when the hourly sweep
finds it ended; the record's ``blocked`` flag stays until that step is done, so a failure is
retried (a repeated lift, the next sweep).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime

from partnercenter.audit.access_records import record_access
from partnercenter.clock import EARLIEST_PLAUSIBLE, iso, iso_micro, parse_iso, utc_now
from partnercenter.dal import cognito, intents
from partnercenter.dal import members as members_dal
from partnercenter.dal import sanctions as sanctions_dal
from partnercenter.dal.members import ACTIVE, MemberRecord
from partnercenter.dal.pagination import StartKey
from partnercenter.dal.sanctions import SanctionRecord, SanctionSummary
from partnercenter.dal.transactions import Entry, Transaction, TransactionCancelled
from partnercenter.errors import Conflict, NotFound, ValidationFailed
from partnercenter.models import ApiModel, Caller, Text
from partnercenter.observability import logger, tracer
from partnercenter.sanctions import rules
from partnercenter.sanctions.rules import is_suspended, open_sanctions, record_expiry_epoch

SWEEP_PAGE_SIZE = 100
# Longer suspensions are open ones (lifted by an operator), not dates decades ahead.
MAX_TIMED_SANCTION = timedelta(days=3650)
_MAX_SWEEP_PAGES = 10_000  # far above any backlog; the deadline stops sooner


class SanctionRequest(ApiModel):
    reason: Text
    starts_at: AwareDatetime | None = None  # default: now; never later than now
    ends_at: AwareDatetime | None = None  # absent: in force until lifted


class SanctionCreated(ApiModel):
    sanction_id: str


class Sanction(ApiModel):
    sanction_id: str
    reason: str
    starts_at: str
    ends_at: str | None = None
    lifted_at: str | None = None
    in_force: bool


class SweepReport(ApiModel):
    ended: int = 0
    remaining: bool = False


def _view(record: SanctionRecord | SanctionSummary, now: datetime) -> Sanction:
    return Sanction(
        sanction_id=record.sanction_id,
        reason=record.reason,
        starts_at=record.starts_at,
        ends_at=record.ends_at,
        lifted_at=record.lifted_at,
        in_force=rules.applies(record, now),
    )


def _oldest_first(records: Iterable[SanctionRecord | SanctionSummary]) -> list[Any]:
    # SanctionsTable returns a member's records by sanctionId: the same order for equal starts.
    return sorted(records, key=lambda r: (r.starts_at, r.sanction_id))


def sanctions_of(member_id: str, now: datetime) -> list[Sanction]:
    """The member's sanction records still kept, oldest first, from SanctionsTable."""
    if not sanctions_dal.configured():
        return []
    return [_view(record, now) for record in _oldest_first(sanctions_dal.of_member(member_id))]


def member_sanctions(member: MemberRecord, now: datetime) -> list[Sanction]:
    """What GET /members/me shows: the member's sanction records still kept, oldest first, as
    the profile item holds them (SanctionsTable for a profile written before it did). A
    summary past its record's retention is not shown: the record is destroyed (R-RET-8)."""
    return [_view(summary, now) for summary in _oldest_first(_kept(member, now).values())]


def _kept(member: MemberRecord, now: datetime) -> dict[str, SanctionSummary]:
    """The profile's sanction summaries still within retention, by id (built from
    SanctionsTable for a profile written before it held them)."""
    if member.sanction_records is None:
        records = sanctions_dal.of_member(member.member_id) if sanctions_dal.configured() else []
        summaries = [record.summary() for record in records]
    else:
        summaries = [
            sanctions_dal.summary_of(sanction_id, value)
            for sanction_id, value in member.sanction_records.items()
        ]
    epoch = int(now.timestamp())
    return {
        summary.sanction_id: summary
        for summary in summaries
        if summary.expires_at_epoch is None or summary.expires_at_epoch >= epoch
    }


def _records_value(summaries: Iterable[SanctionSummary]) -> dict[str, dict[str, Any]]:
    return {summary.sanction_id: sanctions_dal.summary_value(summary) for summary in summaries}


def _active_member(member_id: str) -> MemberRecord:
    member = members_dal.get_member(member_id)
    if member is None or member.status != ACTIVE:
        raise NotFound("No active member with this id.")
    return member


def _check_period(request: SanctionRequest, now: datetime) -> None:
    starts = request.starts_at or now
    if not EARLIEST_PLAUSIBLE <= starts <= now:
        raise ValidationFailed(
            "A sanction is recorded when it starts: leave startsAt out or give a past time.",
            fields=["startsAt"],
        )
    if request.ends_at is not None and not now < request.ends_at <= now + MAX_TIMED_SANCTION:
        raise ValidationFailed(
            "endsAt must be in the future, within 10 years; leave it out for a suspension "
            "that lasts until lifted.",
            fields=["endsAt"],
        )


def _new_record(
    operator: Caller, member_id: str, request: SanctionRequest, now: datetime
) -> SanctionRecord:
    return SanctionRecord(
        member_id=member_id,
        sanction_id=str(uuid.uuid4()),
        reason=request.reason,
        starts_at=iso(request.starts_at or now),
        created_at=iso(now),
        created_by=operator.member_id,
        ends_at=iso(request.ends_at) if request.ends_at is not None else None,
        expires_at_epoch=(
            record_expiry_epoch(request.ends_at) if request.ends_at is not None else None
        ),
        blocked=True,
    )


def _imposition(member: MemberRecord, record: SanctionRecord, now: datetime) -> Transaction:
    """The record, and the profile's map of open sanctions and its summaries with it (as the
    profile was read)."""
    entry = {"startsAt": record.starts_at}
    if record.ends_at is not None:
        entry["endsAt"] = record.ends_at
    sanctions = {**open_sanctions(member), record.sanction_id: entry}
    shown = _records_value([*_kept(member, now).values(), record.summary()])
    profile = members_dal.open_sanctions_update(record.member_id, member.version, sanctions, shown)
    return (
        Transaction()
        .add("sanction", sanctions_dal.put_new(record))
        .add("profile", intents.without_mark(profile))
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def impose_sanction(
    operator: Caller, member_id: str, request: SanctionRequest, now: datetime | None = None
) -> SanctionCreated:
    now = now or utc_now()
    _check_period(request, now)
    member = _active_member(member_id)
    record = _new_record(operator, member_id, request, now)
    record_access(
        actor=operator.member_id,
        actor_role="operator",
        member_id=member_id,
        action="impose_sanction",
        source_ip=operator.source_ip,
    )
    already_blocked = is_suspended(member, now)
    username = cognito.username_of(member_id)
    # The intent first: should this request die before the commit, the reconciler finds the
    # mark and gives the account back the state the profile says.
    since = f"{iso_micro(now)}#{record.sanction_id}"
    if not intents.mark_profile(member_id, member.version, "sanction", since, now):
        raise Conflict("The member changed meanwhile, or another change is under way; retry.")
    try:
        if username is not None:
            cognito.disable_user(username)  # no sign-in from the commit on (R-COL-5)
        _imposition(member, record, now).commit()
    except Exception as exc:
        if username is not None and not already_blocked:
            cognito.enable_user(username)  # nothing was written: the member is as before
        intents.clear_profile_mark(member_id, since)
        if isinstance(exc, TransactionCancelled):
            raise Conflict("The member changed meanwhile; retry.") from None
        raise
    logger.info("sanction imposed", extra={"timed": request.ends_at is not None})
    return SanctionCreated(sanction_id=record.sanction_id)


def _lift(operator: Caller, record: SanctionRecord, now: datetime) -> None:
    """Lift the sanction and drop it from the profile's open sanctions, in one transaction."""
    member_id, sanction_id = record.member_id, record.sanction_id
    ended = rules.effective_end(record)  # an end date already passed stays the end
    end = now if ended is None else min(ended, now)
    lifted = replace(
        record,
        lifted_at=iso(now),
        lifted_by=operator.member_id,
        expires_at_epoch=record_expiry_epoch(end),
    )
    transaction = Transaction().add(
        "sanction",
        sanctions_dal.lift_once(
            member_id, sanction_id, iso(now), operator.member_id, record_expiry_epoch(end)
        ),
    )
    member = members_dal.get_member(member_id)
    if member is not None:
        shown = {**_kept(member, now), sanction_id: lifted.summary()}
        transaction.add("profile", _without(member, sanction_id, shown.values()))
    try:
        transaction.commit()
    except TransactionCancelled as cancelled:
        if not cancelled.failed("sanction"):
            raise Conflict("The member changed meanwhile; retry.") from None
        # Another request lifted it first: only the finishing step is left.


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def lift_sanction(
    operator: Caller, member_id: str, sanction_id: str, now: datetime | None = None
) -> Sanction:
    """Lift a sanction; lifting one already lifted only finishes re-enabling sign-in."""
    now = now or utc_now()
    record = sanctions_dal.get(member_id, sanction_id)
    if record is None:
        raise NotFound("No such sanction.")
    if not record.lifted_at:
        record_access(
            actor=operator.member_id,
            actor_role="operator",
            member_id=member_id,
            action="lift_sanction",
            source_ip=operator.source_ip,
        )
        _lift(operator, record, now)
        record = sanctions_dal.get(member_id, sanction_id) or record
    _release_sign_in(member_id, sanction_id, now)
    return _view(record, now)


def _without(
    member: MemberRecord, sanction_id: str, shown: Iterable[SanctionSummary] | None = None
) -> Entry:
    """The profile update that drops one sanction from the member's open sanctions (and, with
    ``shown``, sets what the profile shows of the sanction records)."""
    remaining = {k: v for k, v in open_sanctions(member).items() if k != sanction_id}
    records = None if shown is None else _records_value(shown)
    return members_dal.open_sanctions_update(member.member_id, member.version, remaining, records)


def _release_sign_in(member_id: str, sanction_id: str, now: datetime) -> None:
    """Re-enable sign-in unless another sanction still suspends the member; then clear the flag.

    Idempotent: run again by a repeated lift or the next sweep if any step fails.
    """
    member = members_dal.get_member(member_id)
    if member is not None and not is_suspended(member, now):
        username = cognito.username_of(member_id)
        if username is not None:
            cognito.enable_user(username)
    sanctions_dal.clear_block(member_id, sanction_id)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def end_elapsed_sanctions(now: datetime, out_of_time: Callable[[], bool]) -> SweepReport:
    """The hourly sweep: timed sanctions whose end has passed stop blocking sign-in."""
    report = SweepReport()
    start_key: StartKey | None = None
    for _ in range(_MAX_SWEEP_PAGES):
        found, start_key = sanctions_dal.blocked_ended_page(iso(now), SWEEP_PAGE_SIZE, start_key)
        for member_id, sanction_id in found:
            if out_of_time():
                report.remaining = True
                return report
            _end_elapsed(member_id, sanction_id, now)
            report.ended += 1
        if start_key is None:
            break
    return report


def _end_elapsed(member_id: str, sanction_id: str, now: datetime) -> None:
    member = members_dal.get_member(member_id)
    entry = None if member is None else open_sanctions(member).get(sanction_id)
    if member is not None and entry is not None and not rules.in_force(entry, now):
        try:
            Transaction().add("profile", _without(member, sanction_id)).commit()
        except TransactionCancelled:
            logger.info("sanction sweep lost a race; the next run retries")
            return
    _release_sign_in(member_id, sanction_id, now)


def membership_end_entries(member: MemberRecord, now: datetime) -> list[Entry]:
    """Withdrawal's transaction entries: sanctions still open end with the membership, and
    their records' retention starts now (R-RET-8)."""
    entries = []
    for sanction_id, entry in open_sanctions(member).items():
        ends = entry.get("endsAt")
        if ends is None or parse_iso(ends) > now:
            entries.append(
                sanctions_dal.end_with_membership(
                    member.member_id, sanction_id, iso(now), record_expiry_epoch(now)
                )
            )
    return entries
