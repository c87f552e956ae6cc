"""A member's consents (R-COL-2, R-ADV-1): marketing opt-in/out, agreeing to a new policy version.

Every change updates the profile's current consents and appends a consent-history record in the
same transaction, so the history always explains the current state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from partnercenter.api import ApiModel, Caller
from partnercenter.audit.access_records import record_own_access
from partnercenter.clock import iso, utc_now
from partnercenter.dal import transactions
from partnercenter.errors import Conflict, ConsentRequired, ValidationFailed
from partnercenter.members.processing import refuse_if_processing_suspended
from partnercenter.members.records import consent_put, profile_update
from partnercenter.members.session import current_member
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
    def of(cls, member: dict[str, Any]) -> ConsentState:
        return cls.model_validate(member["consents"])


class ConsentChange(ApiModel):
    """Either ``{"marketing": bool}`` or ``{"policyVersion", "agreed": true}``."""

    marketing: bool | None = None
    policy_version: str | None = Field(default=None, max_length=32)
    agreed: bool | None = None


def change_consents(
    caller: Caller, change: ConsentChange, now: datetime | None = None
) -> ConsentState:
    now = now or utc_now()
    # Reachable without agreeing to the policy in effect: this is where one agrees (R-NOT-1).
    member = current_member(caller, require_policy_consent=False, now=now)
    member_id = caller.member_id
    wants_required = change.policy_version is not None or change.agreed is not None
    if (change.marketing is not None) == wants_required:
        raise ValidationFailed(
            'Send either {"marketing": true|false} or {"policyVersion": ..., "agreed": true}.',
            fields=["marketing", "policyVersion", "agreed"],
        )
    consents = dict(member["consents"])
    if change.marketing is not None:
        # Advertising needs this opt-in beforehand (R-ADV-1); opting out is as easy.
        kind, agreed = "marketing", change.marketing
        if agreed:
            refuse_if_processing_suspended(member)  # 처리정지 halts marketing; opting out stays
        consents["marketing"] = {"agreed": agreed, "at": iso(now), "channel": CHANNEL}
        version = str(consents["required"]["policyVersion"])
    else:
        current = current_version(now)
        if change.agreed is not True or change.policy_version != current:
            raise ConsentRequired()
        kind, agreed, version = "required", True, current
        consents["required"] = {"policyVersion": version, "agreedAt": iso(now), "channel": CHANNEL}
    record_own_access(caller, f"change_consent_{kind}")
    try:
        transactions.write(
            [
                profile_update(
                    member_id, int(member["version"]), {f"consents.{kind}": consents[kind]}
                ),
                consent_put(member_id, kind, agreed, now, CHANNEL, version),
            ]
        )
    except transactions.TransactionCancelled:
        # Another change of this member's consents won the race (or landed in the same second).
        raise Conflict() from None
    return ConsentState.model_validate(consents)
