"""Third-party provision (제3자 제공, R-USE-2): the ledger, members' consents, their disclosures.

A provision needs the member's consent to its recipient, purpose, items and retention period,
unless it settles fees or a named statute requires it; every provision is recorded either way.
On the consent basis the provision commits in one transaction with a condition on the consent
item, so a consent withdrawn meanwhile refuses the provision instead of racing it.

Recipients, purposes and periods describe the third party and are kept in clear; the member is
named by ``memberId`` (never their name, phone or login ID).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from partnercenter.audit.access_records import record_access, record_own_access
from partnercenter.clock import iso
from partnercenter.dal import members as members_dal
from partnercenter.dal import processing_suspensions
from partnercenter.dal import provisions as provisions_dal
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.dal.provisions import LegalBasis, ProvisionConsentRecord, ProvisionRecord
from partnercenter.dal.transactions import Entry, Transaction, TransactionCancelled
from partnercenter.errors import (
    NotFound,
    ProcessingSuspended,
    ProvisionConsentMissing,
    ValidationFailed,
)
from partnercenter.members.processing import refuse_if_processing_suspended
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer
from partnercenter.policy import policy_document

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ItemName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{1,40}$")]
Items = Annotated[list[ItemName], Field(min_length=1, max_length=20)]


class ProvisionRequest(ApiModel):
    recipient: Text
    purpose: Text
    items: Items
    retention_period: Text
    legal_basis: LegalBasis
    statute: Text | None = None


class ProvisionConsentRequest(ApiModel):
    recipient: Text
    purpose: Text
    items: Items
    retention_period: Text
    agreed: bool


class Provision(ApiModel):
    provision_id: str
    recipient: str
    purpose: str
    items: list[str]
    retention_period: str
    legal_basis: LegalBasis
    statute: str | None = None
    provided_at: str
    consent_at: str | None = Field(
        default=None, description="When the consent relied on was given."
    )


class ProvisionList(ApiModel):
    items: list[Provision]
    next_token: str | None = None


class ProvisionConsent(ApiModel):
    recipient: str
    purpose: str
    items: list[str]
    retention_period: str
    agreed: bool
    at: str


def provisionable_items() -> frozenset[str]:
    """What the policy says we collect; nothing else can be provided."""
    return frozenset(
        item for entry in policy_document()["collectedItems"] for item in entry["items"]
    )


def _check_items(items: list[str]) -> list[str]:
    unknown = set(items) - provisionable_items()
    if unknown:
        raise ValidationFailed(
            "items must name items the privacy policy collects (see GET /privacy-policy).",
            fields=["items"],
        )
    return sorted(set(items))


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def give_provision_consent(
    caller: Caller, request: ProvisionConsentRequest, now: datetime
) -> ProvisionConsent:
    """The member's consent (or refusal) to one recipient and purpose; the latest decision wins."""
    decision = ProvisionConsentRecord(
        member_id=caller.member_id,
        recipient=request.recipient,
        purpose=request.purpose,
        items=tuple(_check_items(request.items)),
        retention_period=request.retention_period,
        agreed=request.agreed,
        at=iso(now),
    )
    record_own_access(caller, "change_provision_consent")
    Transaction().add("consent", provisions_dal.current_consent_entry(decision)).add(
        "consent_log", provisions_dal.consent_log_entry(decision)
    ).commit()
    return ProvisionConsent(
        recipient=decision.recipient,
        purpose=decision.purpose,
        items=list(decision.items),
        retention_period=decision.retention_period,
        agreed=decision.agreed,
        at=decision.at,
    )


def _consent_covers(
    consent: ProvisionConsentRecord | None, items: tuple[str, ...], period: str
) -> bool:
    return bool(
        consent
        and consent.agreed
        and set(items) <= set(consent.items)
        and consent.retention_period == period
    )


def _relied_on_consent(
    member_id: str, request: ProvisionRequest, items: tuple[str, ...]
) -> tuple[str, Entry]:
    """The condition a consent-based provision commits under: the consent read now still covers
    it when the provision is written (R-USE-2). Also when that consent was given."""
    consent = provisions_dal.get_consent(member_id, request.recipient, request.purpose)
    if consent is None or not _consent_covers(consent, items, request.retention_period):
        raise ProvisionConsentMissing()
    return consent.at, provisions_dal.agreement_unchanged(consent, items, request.retention_period)


def _check_provision(member_id: str, request: ProvisionRequest) -> tuple[str, ...]:
    items = tuple(_check_items(request.items))
    if (request.legal_basis == "statute") != (request.statute is not None):
        raise ValidationFailed(
            "Name the statute exactly when the legal basis is a statute.", fields=["statute"]
        )
    member = members_dal.get_member(member_id)
    if member is None:
        raise NotFound("No such member.")
    if request.legal_basis == "consent":
        # R-RIGHT-3 (처리정지): consent-based provision is optional; a statute's is not.
        refuse_if_processing_suspended(member)
    return items


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def record_provision(
    operator: Caller, member_id: str, request: ProvisionRequest, now: datetime
) -> Provision:
    """Record one provision of the member's data to a third party (R-USE-2)."""
    items = _check_provision(member_id, request)
    transaction, consent_at = Transaction(), None
    if request.legal_basis == "consent":
        consent_at, relied_on = _relied_on_consent(member_id, request, items)
        transaction.add("consent", relied_on)
        transaction.add("not_suspended", processing_suspensions.not_suspended(member_id))
    provision = ProvisionRecord(
        member_id=member_id,
        provision_id=str(uuid.uuid4()),
        recipient=request.recipient,
        purpose=request.purpose,
        items=items,
        retention_period=request.retention_period,
        legal_basis=request.legal_basis,
        provided_at=iso(now),
        statute=request.statute,
        consent_at=consent_at,
    )
    transaction.add("provision", provisions_dal.provision_entry(provision))
    record_access(
        actor=operator.member_id,
        actor_role="operator",
        member_id=member_id,
        action="record_provision",
        source_ip=operator.source_ip,
    )
    try:
        transaction.commit()
    except TransactionCancelled as cancelled:
        if cancelled.failed("consent"):
            # The member changed their consent between our read and the write.
            raise ProvisionConsentMissing() from None
        if cancelled.failed("not_suspended"):
            raise ProcessingSuspended() from None  # suspended since the gate read the member
        raise
    return _provision(provision)


def _provision(provision: ProvisionRecord) -> Provision:
    return Provision(
        provision_id=provision.provision_id,
        recipient=provision.recipient,
        purpose=provision.purpose,
        items=list(provision.items),
        retention_period=provision.retention_period,
        legal_basis=provision.legal_basis,
        statute=provision.statute,
        provided_at=provision.provided_at,
        consent_at=provision.consent_at,
    )


# The member's own list is the only route that pages provisions (the export takes one page).
DISCLOSURES_ROUTE = "GET /members/me/disclosures"


def provisions_of(member_id: str, limit: int, next_token: str | None) -> ProvisionList:
    scope = PageScope(DISCLOSURES_ROUTE, member_id)
    page, last_key = provisions_dal.query_provisions(
        member_id, limit, decode_token(next_token, scope)
    )
    return ProvisionList(
        items=[_provision(p) for p in page], next_token=encode_token(last_key, scope)
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def list_disclosures(caller: Caller, limit: int, next_token: str | None) -> ProvisionList:
    """The member's own provisions to third parties, newest first."""
    record_own_access(caller, "view_disclosures")
    return provisions_of(caller.member_id, limit, next_token)
