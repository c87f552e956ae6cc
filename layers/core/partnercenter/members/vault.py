"""Opening a member's encrypted fields, one data-key unwrap per member per request.

A route that opens the caller's personal data declares it (``opens_personal_data=True`` on
``@app.member_route``): the gate reads the member and their wrapped data key in one round trip
and hands the key here for the request (``data_key_read_with_member``), so ``member_cipher``
reads it again only for another member.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from partnercenter.crypto import FieldCipher
from partnercenter.dal.data_keys import MEMBER_DATA, WrappedDataKey, load_wrapped_data_key, unwrap
from partnercenter.dal.members import MemberRecord

# The caller's wrapped data key, as the gate read it with the member: this request's only.
_read_with_member: ContextVar[WrappedDataKey | None] = ContextVar(
    "data_key_read_with_member", default=None
)


@contextmanager
def data_key_read_with_member(key: WrappedDataKey | None) -> Iterator[None]:
    """``key`` stands for its subject's stored key until the block ends (the request)."""
    token = _read_with_member.set(key)
    try:
        yield
    finally:
        _read_with_member.reset(token)


def member_cipher(member_id: str) -> FieldCipher | None:
    """The member's field cipher, or None when their key is gone (shredded)."""
    read = _read_with_member.get()
    wrapped = read if read is not None and read.subject == member_id else None
    key = unwrap(wrapped or load_wrapped_data_key(member_id), MEMBER_DATA)
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
