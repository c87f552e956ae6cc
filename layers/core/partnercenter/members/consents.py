"""A member's consents (R-COL-2, R-ADV-1): marketing opt-in/out, agreeing to a new policy version.

Every change updates the profile's current consents and appends a consent-history record in the
same transaction, so the history always explains the current state.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from partnercenter.audit.access_records import record_own_access
from partnercenter.clock import iso, utc_now
from partnercenter.dal import members as members_dal
from partnercenter.dal import transactions
from partnercenter.dal.members import (
    MarketingConsent,
    MemberConsents,
    MemberRecord,
    RequiredConsent,
)
from partnercenter.errors import Conflict, ConsentRequired, ValidationFailed
from partnercenter.members.processing import refuse_if_processing_suspended
from partnercenter.members.records import consent_record
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer
from partnercenter.policy import current_version

CHANNEL = "web"


class RequiredConsentState(ApiModel):
    policy_version: str
    agreed_at: str
    channel: str


class MarketingConsentState(ApiModel):
    agreed: bool
    at: str
    channel: str


class ConsentState(ApiModel):
    required: RequiredConsentState
    marketing: MarketingConsentState

    @classmethod
    def of(cls, consents: MemberConsents) -> ConsentState:
        required, marketing = consents.required, consents.marketing
        return cls(
            required=RequiredConsentState(
                policy_version=required.policy_version,
                agreed_at=required.agreed_at,
                channel=required.channel,
            ),
            marketing=MarketingConsentState(
                agreed=marketing.agreed, at=marketing.at, channel=marketing.channel
            ),
        )


class ConsentChange(ApiModel):
    """Either ``{"marketing": bool}`` or ``{"policyVersion", "agreed": true}``."""

    marketing: bool | None = None
    policy_version: str | None = Field(default=None, max_length=32)
    agreed: bool | None = None


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def change_consents(
    caller: Caller, member: MemberRecord, change: ConsentChange, now: datetime | None = None
) -> ConsentState:
    """``member`` as the route's gate loaded it, without requiring the policy in effect: this
    is where one agrees to it (R-NOT-1)."""
    now = now or utc_now()
    member_id = caller.member_id
    wants_required = change.policy_version is not None or change.agreed is not None
    if (change.marketing is not None) == wants_required:
        raise ValidationFailed(
            'Send either {"marketing": true|false} or {"policyVersion": ..., "agreed": true}.',
            fields=["marketing", "policyVersion", "agreed"],
        )
    consents = member.consents
    if change.marketing is not None:
        # Advertising needs this opt-in beforehand (R-ADV-1); opting out is as easy.
        kind, agreed = "marketing", change.marketing
        if agreed:
            refuse_if_processing_suspended(member)  # 처리정지 halts marketing; opting out stays
        marketing = MarketingConsent(agreed=agreed, at=iso(now), channel=CHANNEL)
        consents = MemberConsents(required=consents.required, marketing=marketing)
        version = consents.required.policy_version
        update = members_dal.marketing_consent_update(member_id, member.version, marketing)
    else:
        current = current_version(now)
        if change.agreed is not True or change.policy_version != current:
            raise ConsentRequired()
        kind, agreed, version = "required", True, current
        required = RequiredConsent(policy_version=version, agreed_at=iso(now), channel=CHANNEL)
        consents = MemberConsents(required=required, marketing=consents.marketing)
        update = members_dal.required_consent_update(member_id, member.version, required)
    record_own_access(caller, f"change_consent_{kind}")
    history = consent_record(member_id, kind, agreed, now, CHANNEL, version)
    transaction = (
        transactions.Transaction()
        .add("profile", update)
        .add("history", members_dal.consent_record_put(history))
    )
    try:
        transaction.commit()
    except transactions.TransactionCancelled:
        # Another change of this member's consents won the race (or landed in the same second).
        raise Conflict() from None
    return ConsentState.of(consents)
