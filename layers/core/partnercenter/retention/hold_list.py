"""The operator's list of a member's retention holds (R-RET-2..4), open and ended alike.

Holds carry no personal data (kind, reason, items named, dates), so listing them is not an
access to the member's data; the retained items themselves stay sealed.
"""

from __future__ import annotations

from partnercenter.dal.holds import HoldRecord
from partnercenter.dal.member_presence import has_profile
from partnercenter.errors import NotFound
from partnercenter.models import ApiModel, Caller
from partnercenter.retention.holds import load_holds


class HoldListItem(ApiModel):
    hold_id: str
    kind: str
    reason: str
    items: list[str]
    start_at: str
    until: str | None
    statute: str | None
    released: bool
    released_at: str | None

    @classmethod
    def of(cls, hold: HoldRecord) -> HoldListItem:
        return cls(
            hold_id=hold.hold_id,
            kind=hold.kind,
            reason=hold.reason,
            items=list(hold.items),
            start_at=hold.start_at,
            until=hold.until,
            statute=hold.statute,
            released=hold.released_at is not None,
            released_at=hold.released_at,
        )


class HoldList(ApiModel):
    items: list[HoldListItem]


def list_holds(operator: Caller, member_id: str) -> HoldList:
    """The member's holds, oldest first; 404 for a member with neither profile nor holds
    (a withdrawn member keeps at least the automatic hold until the purge)."""
    del operator  # app.operator() checked the role; holds touch no personal data
    holds, _ = load_holds(member_id)
    if not holds and not has_profile(member_id):
        raise NotFound("No member or retained subject with this id.")
    ordered = sorted(holds, key=lambda hold: (hold.start_at, hold.hold_id))
    return HoldList(items=[HoldListItem.of(hold) for hold in ordered])
