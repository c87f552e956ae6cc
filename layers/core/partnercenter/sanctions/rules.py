"""When a member is suspended, and how long a sanction record is kept: pure rules.

A member's profile carries the sanctions not yet lifted as a map ``sanctions``
(``sanctionId`` -> ``{"startsAt", "endsAt"?}``), so that ``members.session.current_member``
decides on the record it already reads. A sanction is in force from its start until its end,
or until lifted when it has none.

Sanction records are usage records (R-COL-5) whose purpose is sanctioning abuse; the internal
policy's fraud-prevention purpose (R-RET-2) keeps them one year after the sanction ends (its
end date, its lifting, or the member's withdrawal, whichever comes first), then the purge
destroys them (R-RET-8). They hold the member id, times, the operator ids and the reason.
"""

from __future__ import annotations

from datetime import datetime

from partnercenter.clock import one_year_after, parse_iso
from partnercenter.dal.members import MemberRecord
from partnercenter.dal.sanctions import SanctionRecord, SanctionSummary


def open_sanctions(member: MemberRecord) -> dict[str, dict[str, str]]:
    """The member's sanctions that have not been lifted, by id."""
    return {sanction_id: dict(entry) for sanction_id, entry in member.sanctions.items()}


def _within(starts_at: str, ends_at: str | None, now: datetime) -> bool:
    return parse_iso(starts_at) <= now and (ends_at is None or now < parse_iso(ends_at))


def in_force(entry: dict[str, str], now: datetime) -> bool:
    """An open sanction of the member's profile map is in force at ``now``."""
    return _within(str(entry["startsAt"]), entry.get("endsAt"), now)


def is_suspended(member: MemberRecord, now: datetime) -> bool:
    return any(in_force(entry, now) for entry in open_sanctions(member).values())


def applies(record: SanctionRecord | SanctionSummary, now: datetime) -> bool:
    """The sanction record still suspends: neither lifted nor ended with the membership, and
    within its period."""
    return (
        not record.lifted_at
        and not record.membership_ended_at
        and _within(record.starts_at, record.ends_at, now)
    )


def effective_end(record: SanctionRecord) -> datetime | None:
    """When the sanction stopped (or will stop) applying; None while it is open."""
    ends = [
        parse_iso(end)
        for end in (record.ends_at, record.lifted_at, record.membership_ended_at)
        if end
    ]
    return min(ends) if ends else None


def record_expiry_epoch(end: datetime) -> int:
    """The record's retention ends a year after the sanction does (R-RET-8)."""
    return int(one_year_after(end).timestamp())
