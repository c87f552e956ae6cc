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
from typing import Any

from partnercenter.clock import one_year_after, parse_iso


def open_sanctions(member: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The member's sanctions that have not been lifted, by id."""
    return dict(member.get("sanctions") or {})


def in_force(entry: dict[str, Any], now: datetime) -> bool:
    ends = entry.get("endsAt")
    return parse_iso(str(entry["startsAt"])) <= now and (ends is None or now < parse_iso(ends))


def is_suspended(member: dict[str, Any], now: datetime) -> bool:
    return any(in_force(entry, now) for entry in open_sanctions(member).values())


def effective_end(row: dict[str, Any]) -> datetime | None:
    """When the sanction stopped (or will stop) applying; None while it is open."""
    ends = [
        parse_iso(str(row[name]))
        for name in ("endsAt", "liftedAt", "membershipEndedAt")
        if row.get(name)
    ]
    return min(ends) if ends else None


def record_expiry_epoch(end: datetime) -> int:
    """The record's retention ends a year after the sanction does (R-RET-8)."""
    return int(one_year_after(end).timestamp())
