"""The member behind a member-route request, as far as our own records still know them."""

from __future__ import annotations

from datetime import datetime

from partnercenter.clock import utc_now
from partnercenter.dal import members as members_dal
from partnercenter.dal.data_keys import WrappedDataKey
from partnercenter.dal.member_reads import member_with_data_key
from partnercenter.dal.members import MemberRecord
from partnercenter.errors import MemberSuspended, PolicyConsentRequired, Unauthorized
from partnercenter.models import Caller
from partnercenter.policy.versions import version_to_agree
from partnercenter.sanctions.rules import is_suspended


def current_member(
    caller: Caller,
    *,
    require_policy_consent: bool = True,
    allow_suspended: bool = False,
    now: datetime | None = None,
) -> MemberRecord:
    """The caller's member record, or 401 once they withdrew or signed out everywhere.

    Once a material policy change is in effect, a member who has not agreed to it gets 403
    POLICY_CONSENT_REQUIRED (R-NOT-1). Only routes that must stay open whatever the member thinks
    of the new policy pass ``require_policy_consent=False``: agreeing to it (consents), and the
    rights the law gives at any time (withdrawal, privacy requests).

    A Cognito id token stays valid until it expires even after a global sign-out, so the API
    itself refuses tokens issued before the member's ``signedOutAt`` (R-CK-1) and tokens of
    members it no longer holds (withdrawn, rejected).

    A suspended member (이용정지, R-COL-5) gets 403 MEMBER_SUSPENDED; only routes that must stay
    open during a suspension pass ``allow_suspended=True``: withdrawal (R-RIGHT-2) and sign-out.
    """
    return _checked(
        members_dal.get_member(caller.member_id),
        caller,
        require_policy_consent=require_policy_consent,
        allow_suspended=allow_suspended,
        now=now,
    )


def current_member_with_data_key(
    caller: Caller,
    *,
    require_policy_consent: bool = True,
    allow_suspended: bool = False,
    now: datetime | None = None,
) -> tuple[MemberRecord, WrappedDataKey]:
    """``current_member``, and the member's wrapped data key read in the same round trip (a
    route that opens the member's personal data)."""
    read = member_with_data_key(caller.member_id)
    member = _checked(
        read.member,
        caller,
        require_policy_consent=require_policy_consent,
        allow_suspended=allow_suspended,
        now=now,
    )
    return member, read.data_key


def _checked(
    member: MemberRecord | None,
    caller: Caller,
    *,
    require_policy_consent: bool,
    allow_suspended: bool,
    now: datetime | None,
) -> MemberRecord:
    if member is None:
        raise Unauthorized("Your session has ended; sign in again.")
    if member.signed_out_at and caller.issued_at <= member.signed_out_at:
        raise Unauthorized("Your session has ended; sign in again.")
    now = now or utc_now()
    if not allow_suspended and is_suspended(member, now):
        raise MemberSuspended()
    agreed = member.consents.required.policy_version
    if require_policy_consent and version_to_agree(agreed, now) is not None:
        raise PolicyConsentRequired()
    return member
