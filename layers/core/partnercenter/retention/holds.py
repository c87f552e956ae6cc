"""Retention holds as data (R-RET-2..4): why a member's items outlive a withdrawal, and how long.

A hold has a kind, a reason, the items it covers, a start and an end: a date (``until``), or
none while it is open (settlement, complaint) until an operator releases it. A retained
subject is due for destruction at the latest end among its holds; while any hold is open it is
not due at all. Holds carry no personal data, and the functions that change them never read
the retained items (separated storage stays sealed, R-RET-5).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from partnercenter.clock import iso, one_year_after, parse_iso, utc_now
from partnercenter.dal import holds as holds_dal
from partnercenter.dal import members as members_dal
from partnercenter.dal import retained as retained_dal
from partnercenter.dal.holds import HoldRecord
from partnercenter.dal.transactions import Entry, Transaction, TransactionCancelled
from partnercenter.errors import Conflict, NotFound, ValidationFailed
from partnercenter.models import ApiModel, Caller, Text
from partnercenter.observability import logger, tracer

HoldKind = Literal["fraud_prevention", "settlement", "complaint", "legal", "member_request"]
OperatorHoldKind = Literal["settlement", "complaint", "legal", "member_request"]
RetainableItem = Literal["name", "phone"]
# The policy keeps a withdrawn member's name and phone, never the login ID (R-RET-2).
RETAINABLE_ITEMS: tuple[RetainableItem, ...] = ("name", "phone")
FRAUD_PREVENTION = "fraud_prevention"
_ACTIVE = "active"
_ATTEMPTS = 3  # bounded retries when another hold change or a withdrawal wins a race


def load_holds(member_id: str) -> tuple[list[HoldRecord], int | None]:
    """The member's holds and, while they are live, the version of their hold set."""
    return holds_dal.query_holds(member_id)


def fraud_prevention_hold(withdrawn_at: datetime) -> HoldRecord:
    """The automatic hold of every withdrawal: name and phone for one year (R-RET-2)."""
    return HoldRecord(
        hold_id=str(uuid.uuid4()),
        kind=FRAUD_PREVENTION,
        reason="Fraud prevention and fee settlement: one year after withdrawal (internal policy).",
        items=RETAINABLE_ITEMS,
        start_at=iso(withdrawn_at),
        until=iso(one_year_after(withdrawn_at)),
    )


def due_at(holds: list[HoldRecord], now: datetime) -> str | None:
    """When a retained subject is due: the latest end among its holds, never before ``now``.

    None while any hold is open: releasing the last open one makes the subject due then, or at
    the end of a later hold (whichever ends last wins, R-RET-2).
    """
    ends = [hold.end for hold in holds]
    if any(end is None for end in ends):
        return None
    return iso(max([now, *(parse_iso(end) for end in ends if end)]))


def retained_items(holds: list[HoldRecord], now: datetime) -> list[str]:
    """The items some hold in force covers; everything else is destroyed now (R-RET-1)."""
    covered = {item for hold in holds if hold.in_force(now) for item in hold.items}
    return [item for item in RETAINABLE_ITEMS if item in covered]


class RetainedEntry(ApiModel):
    items: list[str]
    reason: str = Field(description="The kinds of the holds that keep these items.")
    until: str | None = Field(
        description=(
            "When the retained record, these items included, is destroyed: the end of its "
            "last hold; None while any hold has no end date."
        )
    )


def retained_entries(holds: list[HoldRecord], items: list[str]) -> list[RetainedEntry]:
    """What is retained, why and until when: items kept by the same holds form one entry.

    ``until`` is the retained record's: the purge destroys the record as a whole once its last
    hold ends (``due_at``), so every item is kept until then, whichever hold kept it first.
    """
    ends = [hold.end for hold in holds]
    until = None if None in ends else max(end for end in ends if end)
    groups: dict[tuple[str, str | None], list[str]] = {}
    for item in items:
        covering = [hold for hold in holds if item in hold.items]
        reason = ", ".join(sorted({hold.kind for hold in covering}))
        groups.setdefault((reason, until), []).append(item)
    return [
        RetainedEntry(items=grouped, reason=reason, until=until)
        for (reason, until), grouped in groups.items()
    ]


# ---------------------------------------------------------------------------- operator routes
class AddHoldRequest(ApiModel):
    kind: OperatorHoldKind
    reason: Text
    until: AwareDatetime | None = None
    # Each retainable item at most once: an unbounded list would outgrow a DynamoDB item.
    items: list[RetainableItem] | None = Field(
        default=None, min_length=1, max_length=len(RETAINABLE_ITEMS)
    )
    statute: Text | None = None


class HoldCreated(ApiModel):
    hold_id: str


class HoldView(ApiModel):
    hold_id: str
    kind: str
    reason: str
    items: list[str]
    start_at: str
    until: str | None
    statute: str | None
    released_at: str | None

    @classmethod
    def of(cls, hold: HoldRecord) -> HoldView:
        return cls(
            hold_id=hold.hold_id,
            kind=hold.kind,
            reason=hold.reason,
            items=list(hold.items),
            start_at=hold.start_at,
            until=hold.until,
            statute=hold.statute,
            released_at=hold.released_at,
        )


def _new_hold(request: AddHoldRequest, now: datetime) -> HoldRecord:
    missing = []
    if request.kind == "legal":
        # A law-mandated hold names its statute and its fixed period (R-RET-4).
        missing = [name for name in ("statute", "until") if getattr(request, name) is None]
    elif request.kind == "member_request":
        # The member agreed to specific items for a specific period (R-RET-3).
        missing = [name for name in ("items", "until") if getattr(request, name) is None]
    if missing:
        raise ValidationFailed(f"A {request.kind} hold needs these fields.", fields=missing)
    if request.statute is not None and request.kind != "legal":
        raise ValidationFailed("Only a legal hold names a statute.", fields=["statute"])
    if request.until is not None and request.until <= now:
        raise ValidationFailed("until must be in the future.", fields=["until"])
    return HoldRecord(
        hold_id=str(uuid.uuid4()),
        kind=request.kind,
        reason=request.reason,
        items=tuple(request.items or RETAINABLE_ITEMS),
        start_at=iso(now),
        until=iso(request.until) if request.until else None,
        statute=request.statute,
    )


@dataclass
class _Change:
    """One hold write, the hold as it will be once written, and whether it is a new row."""

    entry: Entry
    hold: HoldRecord
    added: bool


def _commit(member_id: str, change: _Change, now: datetime) -> bool:
    """Write the hold change with what keeps the member's due time true; False on a lost race.

    Withdrawn: the retained record's due time and holdVersion move in the same transaction,
    conditioned on the version read. Live: the hold set's version row is bumped and the
    member must still have no retained record (a withdrawal meanwhile makes this a retry).
    """
    transaction = Transaction().add("hold", change.entry)
    receipt = retained_dal.get_bookkeeping(member_id)
    if receipt is not None:
        holds, _ = load_holds(member_id)
        holds = [h for h in holds if h.hold_id != change.hold.hold_id] + [change.hold]
        transaction.add(
            "retained_due",
            retained_dal.reschedule_if_unchanged(
                member_id,
                receipt.hold_version,
                due_at(holds, now),
                added_hold_id=change.hold.hold_id if change.added else None,
            ),
        )
    else:
        member = members_dal.get_member(member_id)
        if member is None or member.status != _ACTIVE:
            raise NotFound("No active or withdrawn member with this id.")
        transaction.add("hold_version", holds_dal.bump_version(member_id))
        transaction.add("not_withdrawn", retained_dal.check_not_withdrawn(member_id))
    try:
        transaction.commit()
    except TransactionCancelled as cancelled:
        logger.info("hold change lost a race", extra={"reasons": cancelled.reasons})
        return False
    return True


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def add_hold(operator: Caller, member_id: str, request: AddHoldRequest) -> HoldCreated:
    """Put a retention hold on an active or withdrawn member (R-RET-2..4)."""
    del operator  # app.operator() checked the role; holds touch no personal data
    now = utc_now()
    hold = _new_hold(request, now)
    change = _Change(entry=holds_dal.put_new(member_id, hold), hold=hold, added=True)
    for _ in range(_ATTEMPTS):
        if _commit(member_id, change, now):
            return HoldCreated(hold_id=hold.hold_id)
    raise Conflict()


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def release_hold(operator: Caller, member_id: str, hold_id: str) -> HoldView:
    """End an open hold now (settlement completed, complaint resolved); idempotent."""
    del operator
    for _ in range(_ATTEMPTS):
        hold = holds_dal.get_hold(member_id, hold_id)
        if hold is None:
            raise NotFound("No such hold on this member.")
        if hold.released_at is not None:
            return HoldView.of(hold)
        if hold.until is not None:
            raise Conflict("This hold ends on its own date; only open holds are released.")
        now = utc_now()
        released = replace(hold, released_at=iso(now))
        change = _Change(
            entry=holds_dal.release_if_open(member_id, hold_id, iso(now)),
            hold=released,
            added=False,
        )
        if _commit(member_id, change, now):
            return HoldView.of(released)
    raise Conflict()
