"""The member behind a member-route request, as far as our own records still know them."""

from __future__ import annotations

from typing import Any

from partnercenter.api import Caller
from partnercenter.dal import members as members_dal
from partnercenter.errors import Unauthorized


def current_member(caller: Caller) -> dict[str, Any]:
    """The caller's member record, or 401 once they withdrew or signed out everywhere.

    A Cognito id token stays valid until it expires even after a global sign-out, so the API
    itself refuses tokens issued before the member's ``signedOutAt`` (R-CK-1) and tokens of
    members it no longer holds (withdrawn, rejected).
    """
    member = members_dal.get_member(caller.member_id)
    if member is None:
        raise Unauthorized("Your session has ended; sign in again.")
    signed_out_at = int(member.get("signedOutAt") or 0)
    if signed_out_at and caller.issued_at <= signed_out_at:
        raise Unauthorized("Your session has ended; sign in again.")
    return member
