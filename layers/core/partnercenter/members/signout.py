"""Sign-out (R-CK-1): the member's sessions end everywhere, and the API refuses the old tokens.

Cognito's global sign-out revokes refresh tokens, but an id token stays valid until it expires,
so the profile's ``signedOutAt`` makes ``current_member`` refuse every token issued at or before
it. The API sets no cookie at all; a browser client keeps tokens for the session only.
"""

from __future__ import annotations

from datetime import datetime

from partnercenter.clock import iso, utc_now
from partnercenter.dal import cognito
from partnercenter.dal import members as members_dal
from partnercenter.errors import Unauthorized
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer


class SignedOut(ApiModel):
    # Tokens issued at or before this second are refused; sign in again after it.
    signed_out_at: str


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def sign_out(caller: Caller, now: datetime | None = None) -> SignedOut:
    """End every session of the calling member (the route is open even during a suspension)."""
    at = (now or utc_now()).replace(microsecond=0)
    # Refused first: from this moment no token issued so far reaches a member route.
    if not members_dal.set_signed_out(caller.member_id, int(at.timestamp())):
        raise Unauthorized("Your session has ended; sign in again.")
    username = cognito.username_of(caller.member_id)
    if username is not None:
        cognito.sign_out_everywhere(username)
    return SignedOut(signed_out_at=iso(at))
