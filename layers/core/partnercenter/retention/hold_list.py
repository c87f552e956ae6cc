"""The operator's list of a member's retention holds (R-RET-2..4), open and ended alike.

Holds carry no personal data (kind, reason, items named, dates), so listing them is not an
access to the member's data; the retained items themselves stay sealed.
"""

from __future__ import annotations

from partnercenter.dal.holds import HoldRecord
from partnercenter.dal.members import has_profile
from partnercenter.errors import NotFound
from partnercenter.models import ApiModel, Caller
from partnercenter.retention.holds import HoldView, load_holds


class HoldListItem(HoldView):
    released: bool

    @classmethod
    def of(cls, hold: HoldRecord) -> HoldListItem:
        view = HoldView.of(hold).model_dump()
        return cls(**view, released=hold.released_at is not None)


class HoldList(ApiModel):
    items: list[HoldListItem]


def list_holds(operator: Caller, member_id: str) -> HoldList:
    """The member's holds, oldest first; 404 for a member with neither profile nor holds
    (a withdrawn member keeps at least the automatic hold until the purge)."""
    del operator  # the route's gate confirmed the operator; holds hold no personal data
    holds, _ = load_holds(member_id)
    if not holds and not has_profile(member_id):
        raise NotFound("No member or retained subject with this id.")
    ordered = sorted(holds, key=lambda hold: (hold.start_at, hold.hold_id))
    return HoldList(items=[HoldListItem.of(hold) for hold in ordered])
