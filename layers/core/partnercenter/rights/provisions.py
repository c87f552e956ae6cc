"""Third-party provision (제3자 제공, R-USE-2): the ledger, members' consents, their disclosures.

A provision needs the member's consent to its recipient, purpose, items and retention period,
unless it settles fees or a named statute requires it; every provision is recorded either way.
On the consent basis the provision commits in one transaction with a condition on the consent
item, so a consent withdrawn meanwhile refuses the provision instead of racing it.

Recipients, purposes and periods describe the third party and are kept in clear; the member is
named by ``memberId`` (never their name, phone or login ID).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from partnercenter.audit.access_records import record_access, record_own_access
from partnercenter.clock import iso
from partnercenter.dal import members as members_dal
from partnercenter.dal import provisions as provisions_dal
from partnercenter.dal import transactions
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.errors import NotFound, ProvisionConsentMissing, ValidationFailed
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer
from partnercenter.policy import policy_document

LegalBasis = Literal["consent", "fee_settlement", "statute"]
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


def _consent_sk(recipient: str, purpose: str) -> str:
    # Not a secret: recipient and purpose are public facts about the third party.
    digest = hashlib.sha256(f"{recipient}\x00{purpose}".encode()).hexdigest()[:40]
    return f"CONSENT#{digest}"


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def give_provision_consent(
    caller: Caller, request: ProvisionConsentRequest, now: datetime
) -> ProvisionConsent:
    """The member's consent (or refusal) to one recipient and purpose; the latest decision wins."""
    items = _check_items(request.items)
    sk = _consent_sk(request.recipient, request.purpose)
    consent = ProvisionConsent(
        recipient=request.recipient,
        purpose=request.purpose,
        items=items,
        retention_period=request.retention_period,
        agreed=request.agreed,
        at=iso(now),
    )
    values = consent.model_dump(by_alias=True)
    record_own_access(caller, "change_provision_consent")
    transactions.write(
        [
            provisions_dal.replace_entry({"memberId": caller.member_id, "sk": sk, **values}),
            provisions_dal.put_entry(
                {
                    "memberId": caller.member_id,
                    "sk": f"CONSENTLOG#{iso(now)}#{uuid.uuid4()}",
                    "consentKey": sk,
                    **values,
                }
            ),
        ]
    )
    return consent


def _consent_condition(
    consent: dict[str, Any], items: list[str], retention_period: str
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The consent still says yes, unchanged since read, covering these items and period."""
    names = {"#agreed": "agreed", "#at": "at", "#items": "items", "#period": "retentionPeriod"}
    values: dict[str, Any] = {":yes": True, ":at": consent["at"], ":period": retention_period}
    parts = ["#agreed = :yes", "#at = :at", "#period = :period"]
    for i, item in enumerate(items):
        values[f":i{i}"] = item
        parts.append(f"contains(#items, :i{i})")
    return " AND ".join(parts), names, values


def _consent_covers(consent: dict[str, Any] | None, items: list[str], period: str) -> bool:
    return bool(
        consent
        and consent.get("agreed") is True
        and set(items) <= set(consent.get("items", []))
        and consent.get("retentionPeriod") == period
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def record_provision(
    operator: Caller, member_id: str, request: ProvisionRequest, now: datetime
) -> Provision:
    """Record one provision of the member's data to a third party (R-USE-2)."""
    items = _check_items(request.items)
    if (request.legal_basis == "statute") != (request.statute is not None):
        raise ValidationFailed(
            "Name the statute exactly when the legal basis is a statute.", fields=["statute"]
        )
    if members_dal.get_member(member_id) is None:
        raise NotFound("No such member.")
    provision = Provision(
        provision_id=str(uuid.uuid4()),
        recipient=request.recipient,
        purpose=request.purpose,
        items=items,
        retention_period=request.retention_period,
        legal_basis=request.legal_basis,
        statute=request.statute,
        provided_at=iso(now),
    )
    writes: list[dict[str, Any]] = []
    if request.legal_basis == "consent":
        sk = _consent_sk(request.recipient, request.purpose)
        consent = provisions_dal.get(member_id, sk)
        if consent is None or not _consent_covers(consent, items, request.retention_period):
            raise ProvisionConsentMissing()
        provision.consent_at = str(consent["at"])
        condition, names, values = _consent_condition(consent, items, request.retention_period)
        writes.append(provisions_dal.condition_entry(member_id, sk, condition, names, values))
    ledger_sk = f"{provisions_dal.PROVISION}{provision.provided_at}#{provision.provision_id}"
    writes.append(
        provisions_dal.put_entry(
            {"memberId": member_id, "sk": ledger_sk, **provision.model_dump(by_alias=True)}
        )
    )
    record_access(
        actor=operator.member_id,
        actor_role="operator",
        member_id=member_id,
        action="record_provision",
        source_ip=operator.source_ip,
    )
    try:
        transactions.write(writes)
    except transactions.TransactionCancelled as cancelled:
        if request.legal_basis == "consent" and cancelled.failed(0):
            # The member changed their consent between our read and the write.
            raise ProvisionConsentMissing() from None
        raise
    return provision


def _provision(row: dict[str, Any]) -> Provision:
    return Provision.model_validate({k: v for k, v in row.items() if k not in {"memberId", "sk"}})


# The member's own list is the only route that pages provisions (the export takes one page).
DISCLOSURES_ROUTE = "GET /members/me/disclosures"


def provisions_of(member_id: str, limit: int, next_token: str | None) -> ProvisionList:
    scope = PageScope(DISCLOSURES_ROUTE, member_id)
    rows, last_key = provisions_dal.query_provisions(
        member_id, limit, decode_token(next_token, scope)
    )
    return ProvisionList(
        items=[_provision(r) for r in rows], next_token=encode_token(last_key, scope)
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def list_disclosures(caller: Caller, limit: int, next_token: str | None) -> ProvisionList:
    """The member's own provisions to third parties, newest first."""
    record_own_access(caller, "view_disclosures")
    return provisions_of(caller.member_id, limit, next_token)
