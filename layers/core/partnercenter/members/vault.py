"""Opening a member's encrypted fields, one data-key unwrap per member per request."""

from __future__ import annotations

from partnercenter.crypto import FieldCipher
from partnercenter.dal.data_keys import MEMBER_DATA, load_data_key


def member_cipher(member_id: str) -> FieldCipher | None:
    """The member's field cipher, or None when their key is gone (shredded)."""
    key = load_data_key(member_id, MEMBER_DATA)
    return FieldCipher(member_id, key) if key is not None else None
