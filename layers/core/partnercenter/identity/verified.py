"""Using a VERIFIED verification: what signup and profile change may read, and consumption."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from partnercenter.clock import iso, parse_iso
from partnercenter.dal import verifications as verifications_dal
from partnercenter.dal.transactions import Entry
from partnercenter.errors import (
    VerificationExpired,
    VerificationNotFound,
    VerificationTampered,
    VerificationUsed,
)

# KMC's result window; a verification older than this is expired whatever the vendor (R-IDV-2).
VERIFICATION_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True, repr=False)
class UsableVerification:
    """A verified identity ready for one use; name and phone exist only in memory."""

    verification_id: str
    purpose: str
    member_id: str | None
    vendor: str
    verified_at: str
    person_hash: str | None
    under14: bool
    name: str | None
    phone: str | None

    def __repr__(self) -> str:  # never show the identity (R-SEC-3)
        return f"UsableVerification({self.verification_id!r}, purpose={self.purpose!r})"


def secret_hash(secret: str) -> str:
    """Unkeyed SHA-256 suffices: the secret is 256 random bits, nothing to guess from."""
    return hashlib.sha256(secret.encode()).hexdigest()


def load_for_use(
    verification_id: str,
    purpose: str,
    now: datetime,
    *,
    member_id: str | None = None,
    secret: str | None = None,
) -> UsableVerification:
    """The verification if it is VERIFIED, fresh, for ``purpose``, and its starter's.

    The starter is ``member_id`` (a member's own verification) or whoever holds ``secret``
    (a signup's). The binding is checked before anything else about the verification is told.
    """
    record = verifications_dal.get(verification_id)
    if record is None or record.purpose != purpose:
        raise VerificationNotFound()
    if member_id is not None and record.member_id != member_id:
        raise VerificationNotFound()
    if secret is not None and not hmac.compare_digest(secret_hash(secret), record.secret_hash):
        raise VerificationTampered(
            "This verification was started by another client; start a new identity "
            "verification and use the verificationSecret it returns."
        )
    if record.status == verifications_dal.CONSUMED:
        raise VerificationUsed()
    if record.status != verifications_dal.VERIFIED or record.verified_at is None:
        raise VerificationNotFound("The identity verification is not complete yet.")
    if now - parse_iso(record.created_at) > VERIFICATION_WINDOW:
        raise VerificationExpired()
    identity = verifications_dal.SealedIdentity(name=None, phone=None)
    if record.identity_enc is not None:
        identity = verifications_dal.open_identity(verification_id, record.identity_enc)
    return UsableVerification(
        verification_id=verification_id,
        purpose=purpose,
        member_id=record.member_id,
        vendor=record.vendor,
        verified_at=record.verified_at,
        person_hash=record.person_hash,
        under14=record.under14,
        name=identity.name,
        phone=identity.phone,
    )


def consume_entry(verification: UsableVerification, now: datetime) -> Entry:
    """The transaction's entry that uses the verification up, with the caller's writes."""
    return verifications_dal.consume_entry(verification.verification_id, iso(now))
