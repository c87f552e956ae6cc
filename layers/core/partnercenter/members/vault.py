"""Opening a member's encrypted fields, one data-key unwrap per member per request."""

from __future__ import annotations

from dataclasses import dataclass

from partnercenter.crypto import FieldCipher
from partnercenter.dal.data_keys import MEMBER_DATA, load_data_key
from partnercenter.dal.members import MemberRecord


def member_cipher(member_id: str) -> FieldCipher | None:
    """The member's field cipher, or None when their key is gone (shredded)."""
    key = load_data_key(member_id, MEMBER_DATA)
    return FieldCipher(member_id, key) if key is not None else None


@dataclass(frozen=True, repr=False)
class PersonalFields:
    """The three items signup collects (R-COL-1), opened; never logged (no repr)."""

    login_id: str
    name: str
    phone: str


def open_personal_fields(member: MemberRecord, cipher: FieldCipher) -> PersonalFields:
    return PersonalFields(
        login_id=cipher.open("loginId", member.login_id_enc),
        name=cipher.open("name", member.name_enc),
        phone=cipher.open("phone", member.phone_enc),
    )
