"""The member behind a member-route request, as far as our own records still know them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partnercenter.api import Caller
from partnercenter.clock import utc_now
from partnercenter.dal import members as members_dal
from partnercenter.errors import PolicyConsentRequired, Unauthorized
from partnercenter.policy.versions import version_to_agree


def current_member(
    caller: Caller, *, require_policy_consent: bool = True, now: datetime | None = None
) -> dict[str, Any]:
    """The caller's member record, or 401 once they withdrew or signed out everywhere.

    Once a material policy change is in effect, a member who has not agreed to it gets 403
    POLICY_CONSENT_REQUIRED (R-NOT-1). Only routes that must stay open whatever the member thinks
    of the new policy pass ``require_policy_consent=False``: agreeing to it (consents), and the
    rights the law gives at any time (withdrawal, privacy requests).

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
    if require_policy_consent:
        agreed = ((member.get("consents") or {}).get("required") or {}).get("policyVersion")
        if version_to_agree(agreed, now or utc_now()) is not None:
            raise PolicyConsentRequired()
    return member
