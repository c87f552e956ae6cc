"""Identity verification (R-IDV-1..4, R-COL-3): start at the vendor, accept its return once.

PENDING --(vendor result accepted)--> VERIFIED --(signup / profile change)--> CONSUMED, by
conditional writes only. A refused vendor result (forged, replayed, stale, failed, vendor down)
changes nothing: the record stays PENDING and the person may go through the vendor again.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from partnercenter.clock import iso, parse_iso
from partnercenter.dal import verifications as verifications_dal
from partnercenter.errors import (
    ValidationFailed,
    VerificationExpired,
    VerificationNotFound,
    VerificationUsed,
)
from partnercenter.hashing import person_hash
from partnercenter.identity.vendor import (
    current_vendor,
    get_vendor_settings,
    vendor_unavailability_counted,
)
from partnercenter.identity.verified import VERIFICATION_WINDOW, secret_hash
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import logger, metrics, tracer
from partnercenter.vendors import VerifiedIdentity
from partnercenter.vendors.base import KST

Purpose = Literal["signup", "profile_change"]
# A vendor return has a handful of fields (KMC 2, PortOne 1-3); more is not a vendor.
MAX_CALLBACK_FIELDS = 16


class StartVerificationRequest(ApiModel):
    purpose: Literal["signup"]


class EmptyRequest(ApiModel):
    """``{}``: the member route takes nothing but the caller."""


class CallbackFields(BaseModel):
    """What the vendor posts back (form-encoded, or JSON): string fields only, at most
    ``MAX_CALLBACK_FIELDS``, each name once. KMC sends ``apiToken`` and ``certNum``, PortOne
    ``identityVerificationId``; a result that lacks its vendor's fields is tampered.

    The handler reads the body raw (``parse_callback_body``); this model only describes it in
    the OpenAPI document.
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "maxProperties": MAX_CALLBACK_FIELDS,
            "additionalProperties": {"type": "string"},
        },
    )

    api_token: str = Field(default="", alias="apiToken")
    cert_num: str = Field(default="", alias="certNum")
    identity_verification_id: str = Field(default="", alias="identityVerificationId")


class StartResult(ApiModel):
    verification_id: str
    # Shown once; only its hash is stored. Signup presents it: the id alone (which the vendor
    # and the browser history see in the callback URL) is not enough to use the verification.
    verification_secret: str
    vendor: str
    action_url: str
    form_fields: dict[str, str]
    expires_at: str


class CallbackResult(ApiModel):
    verification_id: str
    status: Literal["verified"]


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def start_verification(purpose: Purpose, member_id: str | None, now: datetime) -> StartResult:
    """A PENDING verification and what the browser posts to the vendor's page."""
    verification_id = str(uuid.uuid4())
    secret = secrets.token_urlsafe(32)  # 256 random bits; never sent to the vendor
    with vendor_unavailability_counted():
        vendor = current_vendor()
        started = vendor.start(
            verification_id=verification_id,
            callback_url=get_vendor_settings().callback_url(verification_id),
            now=now,
        )
    expires_at = now + VERIFICATION_WINDOW
    verifications_dal.put_pending(
        verifications_dal.PendingVerification(
            verification_id=verification_id,
            purpose=purpose,
            member_id=member_id,
            vendor=vendor.name,
            vendor_tx_id=started.vendor_tx_id,
            secret_hash=secret_hash(secret),
            created_at=iso(now),
            expires_at=iso(expires_at),
            expires_at_epoch=int(expires_at.timestamp()),
        )
    )
    logger.info("identity verification started", extra={"verificationId": verification_id})
    return StartResult(
        verification_id=verification_id,
        verification_secret=secret,
        vendor=vendor.name,
        action_url=started.action_url,
        form_fields=started.form_fields,
        expires_at=iso(expires_at),
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def start_profile_verification(caller: Caller, now: datetime) -> StartResult:
    """A verification bound to the calling member, for a change of name or phone (R-RIGHT-1)."""
    return start_verification("profile_change", caller.member_id, now)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def receive_callback(
    verification_id: str, body: str | None, content_type: str | None, now: datetime
) -> CallbackResult:
    """The vendor's return as it arrives over HTTP: a form post (KMC, PortOne) or JSON."""
    return complete_verification(verification_id, parse_callback_body(body, content_type), now)


def parse_callback_body(body: str | None, content_type: str | None) -> dict[str, str]:
    """Field name -> value from a form-encoded or JSON body; any vendor's shape passes."""
    if not body:
        return {}
    if (content_type or "").lower().startswith("application/json"):
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            raise ValidationFailed(fields=["body"]) from None
        if not isinstance(parsed, dict) or len(parsed) > MAX_CALLBACK_FIELDS:
            raise ValidationFailed(fields=["body"])
        wrong = [name for name, value in parsed.items() if not isinstance(value, str)]
        if wrong:
            raise ValidationFailed(fields=wrong)
        return parsed
    try:
        pairs = urllib.parse.parse_qsl(
            body, keep_blank_values=True, max_num_fields=MAX_CALLBACK_FIELDS
        )
    except ValueError:
        raise ValidationFailed(fields=["body"]) from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:  # which of two values is the vendor's? neither is trusted
            raise ValidationFailed(fields=[name])
        fields[name] = value
    return fields


def complete_verification(
    verification_id: str, callback_fields: Mapping[str, str], now: datetime
) -> CallbackResult:
    """Accept the vendor's result once, fresh and intact (R-IDV-2); keep the minimum (R-IDV-4)."""
    record = _pending_record(verification_id)
    if now - parse_iso(record.created_at) > VERIFICATION_WINDOW:
        raise VerificationExpired()
    with vendor_unavailability_counted():
        vendor = current_vendor()
        if record.vendor != vendor.name:
            # Started before a switch of vendor: the new one cannot finish it.
            raise VerificationExpired()
        # Tampered, stale, failed, replayed at the vendor, or the vendor down: raised as the
        # contract's error before anything is written.
        identity = vendor.complete(
            vendor_tx_id=record.vendor_tx_id, callback=callback_fields, now=now
        )
    kept = _what_is_kept(verification_id, identity, now)
    del identity  # the CI and birth date end here, in memory
    if not verifications_dal.mark_verified(verification_id, record.vendor_tx_id, kept):
        raise VerificationUsed()  # a concurrent delivery of the same result won
    logger.info("identity verified", extra={"verificationId": verification_id})
    metrics.add_metric(name="IdentityVerified", unit="Count", value=1)
    return CallbackResult(verification_id=verification_id, status="verified")


def _pending_record(verification_id: str) -> verifications_dal.VerificationRecord:
    try:
        uuid.UUID(verification_id)
    except ValueError:
        raise VerificationNotFound() from None
    record = verifications_dal.get(verification_id)
    if record is None:
        raise VerificationNotFound()
    if record.status != verifications_dal.PENDING:
        raise VerificationUsed()
    return record


def _what_is_kept(
    verification_id: str, identity: VerifiedIdentity, now: datetime
) -> verifications_dal.VerifiedFacts:
    """R-IDV-4: time, the under-14 outcome, a keyed hash of the CI, name and phone sealed.

    Never the CI, DI, birth date or the vendor's payload. For a child under 14 nothing of the
    identity at all (R-COL-3): signup refuses them on ``under14`` alone.
    """
    # Birth dates are Korean calendar dates: age is counted on today's date in Korea.
    under14 = identity.is_under_14(now.astimezone(KST).date())
    if under14:
        return verifications_dal.VerifiedFacts(verified_at=iso(identity.verified_at), under14=True)
    return verifications_dal.VerifiedFacts(
        verified_at=iso(identity.verified_at),
        under14=False,
        person_hash=person_hash(identity.ci),
        identity_enc=verifications_dal.seal_identity(
            verification_id, identity.name, identity.phone
        ),
    )
