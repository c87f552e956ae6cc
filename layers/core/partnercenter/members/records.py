"""The one place that shapes a new member (docs/data-model.md); signup and tests use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from partnercenter.clock import iso, iso_micro
from partnercenter.crypto import FieldCipher
from partnercenter.dal import members as members_dal
from partnercenter.dal.data_keys import MEMBER_DATA, new_data_key
from partnercenter.dal.members import (
    ACTIVE,
    PENDING_APPROVAL,
    ConsentRecord,
    MarketingConsent,
    MemberConsents,
    MemberRecord,
    RequiredConsent,
)
from partnercenter.dal.transactions import Entry, Transaction
from partnercenter.hashing import login_id_hash, phone_hash
from partnercenter.policy import REQUIRED_ITEMS, signup_purposes

__all__ = ["ACTIVE", "PENDING_APPROVAL", "MemberWrites", "NewMember", "new_member_writes"]


@dataclass(frozen=True, repr=False)
class NewMember:
    member_id: str
    login_id: str
    name: str
    phone: str
    person_hash: str
    vendor: str
    verified_at: str
    policy_version: str
    marketing: bool
    requested_at: datetime
    channel: str = "web"
    status: str = PENDING_APPROVAL


@dataclass(frozen=True)
class MemberWrites:
    """A new member's entries, each by the name its transaction gives it."""

    data_key: Entry
    profile: Entry
    login_id_guard: Entry
    person_guard: Entry
    required_consent: Entry
    marketing_consent: Entry

    def transaction(self) -> Transaction:
        return (
            Transaction()
            .add("data_key", self.data_key)
            .add("profile", self.profile)
            .add("login_id_guard", self.login_id_guard)
            .add("person_guard", self.person_guard)
            .add("required_consent", self.required_consent)
            .add("marketing_consent", self.marketing_consent)
        )


def consent_record(
    member_id: str, kind: str, agreed: bool, at: datetime, channel: str, policy_version: str
) -> ConsentRecord:
    """One consent-history record (R-COL-2): version, items, purposes, time, channel."""
    required = kind == "required"
    return ConsentRecord(
        member_id=member_id,
        kind=kind,
        agreed=agreed,
        policy_version=policy_version,
        items=tuple(REQUIRED_ITEMS) if required else ("phone",),
        purposes=tuple(signup_purposes(policy_version)) if required else ("advertising",),
        channel=channel,
        at=iso(at),
        at_micro=iso_micro(at),
    )


def new_member_writes(member: NewMember) -> MemberWrites:
    """Data key, encrypted profile, login-ID and person guards, consent records."""
    key = new_data_key(member.member_id, MEMBER_DATA)
    cipher = FieldCipher(member.member_id, key.plaintext)
    at = iso(member.requested_at)
    login_hash = login_id_hash(member.login_id)
    profile = MemberRecord(
        member_id=member.member_id,
        status=member.status,
        version=1,
        requested_at=at,
        name_enc=cipher.seal("name", member.name),
        phone_enc=cipher.seal("phone", member.phone),
        login_id_enc=cipher.seal("loginId", member.login_id),
        login_id_hash=login_hash,
        person_hash=member.person_hash,
        phone_hash=phone_hash(member.phone),
        vendor=member.vendor,
        verified_at=member.verified_at,
        consents=MemberConsents(
            required=RequiredConsent(
                policy_version=member.policy_version, agreed_at=at, channel=member.channel
            ),
            # Marketing is a separate consent and defaults off (R-ADV-1).
            marketing=MarketingConsent(agreed=member.marketing, at=at, channel=member.channel),
        ),
    )
    return MemberWrites(
        data_key=key.put,
        profile=members_dal.new_profile_put(profile),
        login_id_guard=members_dal.login_id_guard_put(login_hash, member.member_id),
        person_guard=members_dal.person_guard_put(member.person_hash, member.member_id),
        required_consent=members_dal.consent_record_put(
            consent_record(
                member.member_id,
                "required",
                True,
                member.requested_at,
                member.channel,
                member.policy_version,
            )
        ),
        marketing_consent=members_dal.consent_record_put(
            consent_record(
                member.member_id,
                "marketing",
                member.marketing,
                member.requested_at,
                member.channel,
                member.policy_version,
            )
        ),
    )
