"""Operators' access, checked at every operator request (R-SEC-2).

Operators reach every member's personal data, so a token alone is not enough:

- It must come from the operators' own user pool, which demands the authenticator app's code
  (TOTP) at every sign-in; API Gateway's ``OperatorsAuthorizer`` accepts no other token.
- The account must be enrolled in TOTP *now*. Cognito enforces this at sign-in on AWS; the
  check also holds where a pool would let a password alone through (moto does, and so would a
  pool whose MFA setting was loosened by mistake).
- Cognito's groups claim is a snapshot taken at sign-in. The account must still be enabled and
  still be in ``privacy-admin`` *now*: removing an operator from the group ends their access on
  their next request, not when the token expires.
- An operator who signed out (``POST /admin/sign-out``) has every token issued until then
  refused, as members' ``signedOutAt`` does for them.

Each operator request therefore costs two Cognito calls and one DynamoDB read, uncached: a cache
would reopen the window this closes, and operators' requests are few.
See docs/operators.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from partnercenter.clock import iso, utc_now
from partnercenter.dal import operators as operators_dal
from partnercenter.dal.operators import OperatorSessionRecord
from partnercenter.errors import Forbidden, MfaRequired, Unauthorized
from partnercenter.models import PRIVACY_ADMIN_GROUP, ApiModel, Caller
from partnercenter.observability import tracer

# Longer than any token of the operators' pool lives (30 minutes); after that the record of a
# sign-out refuses nothing that is still valid, so DynamoDB's TTL may remove it.
SIGN_OUT_KEPT = timedelta(days=1)
_SESSION_ENDED = "Your session has ended; sign in again."


def _signed_out(caller: Caller) -> bool:
    at = operators_dal.signed_out_at(caller.member_id)
    return bool(at) and caller.issued_at <= at


def confirm_operator(caller: Caller) -> None:
    """Refuse an operator whose token no longer speaks for them (see the module's docstring)."""
    if not caller.username or _signed_out(caller):
        raise Unauthorized(_SESSION_ENDED)
    account = operators_dal.operator_account(caller.username)
    if account is None or not account.enabled:
        raise Unauthorized(_SESSION_ENDED)
    if not account.totp_enrolled:
        raise MfaRequired()
    if PRIVACY_ADMIN_GROUP not in account.groups:
        raise Forbidden("You are no longer in the privacy-admin group.")


class OperatorSignedOut(ApiModel):
    # Tokens issued at or before this second are refused on operator routes; sign in again.
    signed_out_at: str


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def sign_out_operator(caller: Caller, now: datetime | None = None) -> OperatorSignedOut:
    """End every session of the calling operator (open to any operator, in the group or not:
    it only ever takes access away)."""
    if not caller.username or _signed_out(caller):
        raise Unauthorized(_SESSION_ENDED)
    at = (now or utc_now()).replace(microsecond=0)
    # Refused first: from this moment no token issued so far reaches an operator route.
    operators_dal.sign_out_unless_later(
        OperatorSessionRecord(
            operator_id=caller.member_id,
            signed_out_at=int(at.timestamp()),
            expires_at=int((at + SIGN_OUT_KEPT).timestamp()),
        )
    )
    operators_dal.sign_out_everywhere(caller.username)
    return OperatorSignedOut(signed_out_at=iso(at))
