"""The member's own data: view (열람) and correction (정정), R-RIGHT-1.

A name or phone change needs a new identity verification of the same person (same CI hash)
whose verified values are the new ones (R-IDV-3); the change and the verification's consumption
commit in one transaction. Every view and change appends an access record (R-SEC-2).
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from partnercenter.audit.access_records import record_own_access
from partnercenter.clock import utc_now
from partnercenter.crypto import FieldCipher
from partnercenter.dal import members as members_dal
from partnercenter.dal import transactions
from partnercenter.dal.members import IdentityCorrection, MemberRecord
from partnercenter.errors import (
    Conflict,
    IdentityMismatch,
    Unauthorized,
    ValidationFailed,
    VerificationUsed,
)
from partnercenter.hashing import phone_hash
from partnercenter.members.consents import ConsentState
from partnercenter.members.fields import Name, Phone
from partnercenter.members.vault import member_cipher, open_personal_fields
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer
from partnercenter.sanctions.service import Sanction, member_sanctions

PROFILE_CHANGE = "profile_change"


class Profile(ApiModel):
    member_id: str
    login_id: str
    name: str
    phone: str
    status: str
    consents: ConsentState
    verified_at: str
    # Sanction records kept about the member (R-COL-5): shown to them like their other data.
    sanctions: list[Sanction] = Field(default_factory=list)


class ProfileChange(ApiModel):
    """Only the correctable items; the login ID is the account and cannot change (R-COL-1)."""

    name: Name | None = None
    phone: Phone | None = None
    verification_id: str | None = Field(default=None, min_length=1, max_length=64)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def view_profile(caller: Caller, member: MemberRecord) -> Profile:
    cipher = _cipher(member)
    record_own_access(caller, "view_profile")
    return _profile(member, cipher)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def change_profile(caller: Caller, member: MemberRecord, change: ProfileChange) -> Profile:
    if change.name is None and change.phone is None:
        raise ValidationFailed("Send the new name or phone.", fields=["name", "phone"])
    if change.verification_id is None:
        raise ValidationFailed(
            "Changing your name or phone needs a new identity verification: start one with "
            "POST /members/me/identity-verifications and send its verificationId.",
            fields=["verificationId"],
        )
    # Only a correction reads verifications: imported here, not at init (the profile
    # function primes it, partnercenter.snapstart).
    from partnercenter.identity.verified import consume_entry, load_for_use

    now = utc_now()
    verification = load_for_use(
        change.verification_id, PROFILE_CHANGE, now, member_id=caller.member_id
    )
    if verification.person_hash != member.person_hash:
        raise IdentityMismatch(
            "The verification is of another person; verify your own identity and try again."
        )
    if (change.name is not None and change.name != verification.name) or (
        change.phone is not None and change.phone != verification.phone
    ):
        raise IdentityMismatch()
    cipher = _cipher(member)
    correction = IdentityCorrection(
        verified_at=verification.verified_at,
        vendor=verification.vendor,
        name_enc=None if change.name is None else cipher.seal("name", change.name),
        phone_enc=None if change.phone is None else cipher.seal("phone", change.phone),
        phone_hash=None if change.phone is None else phone_hash(change.phone),
    )
    record_own_access(caller, "change_profile")
    transaction = (
        transactions.Transaction()
        .add(
            "profile",
            members_dal.identity_correction(caller.member_id, member.version, correction),
        )
        .add("verification", consume_entry(verification, now))
    )
    try:
        transaction.commit()
    except transactions.TransactionCancelled as cancelled:
        if cancelled.failed("verification"):
            raise VerificationUsed() from None
        raise Conflict("Your profile changed meanwhile; load it and try again.") from None
    return _profile(
        replace(
            member,
            verified_at=correction.verified_at,
            vendor=correction.vendor,
            name_enc=correction.name_enc or member.name_enc,
            phone_enc=correction.phone_enc or member.phone_enc,
            phone_hash=correction.phone_hash or member.phone_hash,
            version=member.version + 1,
        ),
        cipher,
    )


def _cipher(member: MemberRecord) -> FieldCipher:
    cipher = member_cipher(member.member_id)
    if cipher is None:
        # The key is shredded only when the member is gone (withdrawal, rejection).
        raise Unauthorized("Your session has ended; sign in again.")
    return cipher


def _profile(member: MemberRecord, cipher: FieldCipher) -> Profile:
    fields = open_personal_fields(member, cipher)
    return Profile(
        member_id=member.member_id,
        login_id=fields.login_id,
        name=fields.name,
        phone=fields.phone,
        status=member.status,
        consents=ConsentState.of(member.consents),
        verified_at=member.verified_at,
        sanctions=member_sanctions(member, utc_now()),
    )
