"""ProvisionsTable: the third-party provision ledger and members' provision consents (R-USE-2).

One partition per member (``memberId``): ``PROVISION#<at>#<id>`` is one provision,
``CONSENT#<key>`` the member's current consent to one recipient and purpose, and
``CONSENTLOG#<at>#<id>`` every consent decision as it was given. Domain code sees
``ProvisionRecord`` and ``ProvisionConsentRecord``; items and conditions stay here.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item, to_value
from partnercenter.dal.pagination import KeyCondition
from partnercenter.dal.transactions import Entry

PROVISION = "PROVISION#"
LegalBasis = Literal["consent", "fee_settlement", "statute"]


@dataclass(frozen=True)
class ProvisionRecord:
    """One provision of a member's data to a third party, as the ledger keeps it."""

    member_id: str
    provision_id: str
    recipient: str
    purpose: str
    items: tuple[str, ...]
    retention_period: str
    legal_basis: LegalBasis
    provided_at: str
    statute: str | None = None
    consent_at: str | None = None


@dataclass(frozen=True)
class ProvisionConsentRecord:
    """The member's decision on one recipient and purpose (the latest one is current)."""

    member_id: str
    recipient: str
    purpose: str
    items: tuple[str, ...]
    retention_period: str
    agreed: bool
    at: str


def _table() -> str:
    table = get_settings().provisions_table
    if not table:
        raise RuntimeError("PROVISIONS_TABLE is not configured")
    return table


def _key(member_id: str, sk: str) -> dict[str, Any]:
    return {"memberId": {"S": member_id}, "sk": {"S": sk}}


def _consent_sk(recipient: str, purpose: str) -> str:
    # Not a secret: recipient and purpose are public facts about the third party.
    digest = hashlib.sha256(f"{recipient}\x00{purpose}".encode()).hexdigest()[:40]
    return f"CONSENT#{digest}"


def _consent_values(consent: ProvisionConsentRecord) -> dict[str, Any]:
    return {
        "memberId": consent.member_id,
        "recipient": consent.recipient,
        "purpose": consent.purpose,
        "items": list(consent.items),
        "retentionPeriod": consent.retention_period,
        "agreed": consent.agreed,
        "at": consent.at,
    }


def _consent(values: dict[str, Any]) -> ProvisionConsentRecord:
    return ProvisionConsentRecord(
        member_id=values["memberId"],
        recipient=values["recipient"],
        purpose=values["purpose"],
        items=tuple(values.get("items", [])),
        retention_period=values["retentionPeriod"],
        agreed=values.get("agreed") is True,
        at=str(values["at"]),
    )


def _provision_values(provision: ProvisionRecord) -> dict[str, Any]:
    return {
        "memberId": provision.member_id,
        "sk": f"{PROVISION}{provision.provided_at}#{provision.provision_id}",
        "provisionId": provision.provision_id,
        "recipient": provision.recipient,
        "purpose": provision.purpose,
        "items": list(provision.items),
        "retentionPeriod": provision.retention_period,
        "legalBasis": provision.legal_basis,
        "statute": provision.statute,
        "providedAt": provision.provided_at,
        "consentAt": provision.consent_at,
    }


def _provision(values: dict[str, Any]) -> ProvisionRecord:
    return ProvisionRecord(
        member_id=values["memberId"],
        provision_id=values["provisionId"],
        recipient=values["recipient"],
        purpose=values["purpose"],
        items=tuple(values["items"]),
        retention_period=values["retentionPeriod"],
        legal_basis=values["legalBasis"],
        provided_at=values["providedAt"],
        statute=values.get("statute"),
        consent_at=values.get("consentAt"),
    )


# ---------------------------------------------------------------------------- entries
def _put_new(values: dict[str, Any]) -> Entry:
    """Add ``values`` as a new ledger line (never overwriting one)."""
    return Entry(
        {
            "Put": {
                "TableName": _table(),
                "Item": to_item(values),
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        }
    )


def current_consent_entry(consent: ProvisionConsentRecord) -> Entry:
    """Store the decision as the member's current consent, whatever was there."""
    sk = _consent_sk(consent.recipient, consent.purpose)
    item = {**_consent_values(consent), "sk": sk}
    return Entry({"Put": {"TableName": _table(), "Item": to_item(item)}})


def consent_log_entry(consent: ProvisionConsentRecord) -> Entry:
    """Log the decision as it was given (the log keeps every one)."""
    return _put_new(
        {
            **_consent_values(consent),
            "sk": f"CONSENTLOG#{consent.at}#{uuid.uuid4()}",
            "consentKey": _consent_sk(consent.recipient, consent.purpose),
        }
    )


def provision_entry(provision: ProvisionRecord) -> Entry:
    """Add the provision to the ledger."""
    return _put_new(_provision_values(provision))


def agreement_unchanged(
    consent: ProvisionConsentRecord, items: tuple[str, ...], retention_period: str
) -> Entry:
    """Commit only if the consent still says yes, unchanged since ``consent`` was read, and
    covers ``items`` and ``retention_period`` (a consent withdrawn meanwhile refuses)."""
    names = {"#agreed": "agreed", "#at": "at", "#items": "items", "#period": "retentionPeriod"}
    values: dict[str, Any] = {":yes": True, ":at": consent.at, ":period": retention_period}
    parts = ["#agreed = :yes", "#at = :at", "#period = :period"]
    for i, item in enumerate(items):
        values[f":i{i}"] = item
        parts.append(f"contains(#items, :i{i})")
    return Entry(
        {
            "ConditionCheck": {
                "TableName": _table(),
                "Key": _key(consent.member_id, _consent_sk(consent.recipient, consent.purpose)),
                "ConditionExpression": " AND ".join(parts),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {k: to_value(v) for k, v in values.items()},
            }
        }
    )


# ---------------------------------------------------------------------------- reads
def get_consent(member_id: str, recipient: str, purpose: str) -> ProvisionConsentRecord | None:
    """The member's current decision on ``recipient`` and ``purpose``, if any."""
    item = (
        client("dynamodb")
        .get_item(
            TableName=_table(),
            Key=_key(member_id, _consent_sk(recipient, purpose)),
            ConsistentRead=True,
        )
        .get("Item")
    )
    return _consent(from_item(item)) if item else None


def query_provisions(
    member_id: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[ProvisionRecord], dict[str, Any] | None]:
    """One page of the member's provisions, newest first."""
    params: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "memberId = :m AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":m": {"S": member_id}, ":p": {"S": PROVISION}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    condition = KeyCondition(equal={"memberId": member_id}, other=("sk",), prefix={"sk": PROVISION})
    if condition.start_key(start_key):
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    page = [_provision(from_item(i)) for i in answer.get("Items", [])]
    return page, answer.get("LastEvaluatedKey")
