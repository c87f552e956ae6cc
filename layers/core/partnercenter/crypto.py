"""Field encryption under a subject's data key, and keyed hashes for lookups (R-SEC-1).

AES-256-GCM from ``cryptography`` with a random 96-bit nonce; the additional data binds each
ciphertext to its subject and field, so a ciphertext copied elsewhere does not open. Data keys
come from KMS (envelope encryption, see ``dal.data_keys``); nothing here invents crypto.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12
# ``cryptography`` is imported with the first cipher, not at init (lookup hashes and the access
# chain's MACs, which most imports of this module are for, need only hmac); SnapStart's priming
# imports them before the snapshot.
CIPHER_MODULES = ("cryptography.exceptions", "cryptography.hazmat.primitives.ciphers.aead")


class UnreadableCiphertext(Exception):
    """A ciphertext did not open: wrong key, subject or field, or it was altered."""


class FieldCipher:
    """Seals and opens one subject's personal fields with that subject's data key."""

    def __init__(self, subject: str, data_key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._subject = subject
        self._aead: AESGCM = AESGCM(data_key)

    def _aad(self, field: str) -> bytes:
        return f"{self._subject}|{field}".encode()

    def seal(self, field: str, value: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), self._aad(field))
        return base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, field: str, token: str) -> str:
        from cryptography.exceptions import InvalidTag

        raw = base64.b64decode(token)
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._aad(field))
        except InvalidTag as exc:
            raise UnreadableCiphertext(field) from exc
        return plain.decode("utf-8")


def keyed_hash(key: str, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` in the namespace ``kind``: lookups without clear text."""
    message = f"{kind}\x00{value}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def chain_mac(key: str, previous_mac: str, canonical_record: str) -> str:
    """The MAC that links one access record to the one before it (R-SEC-2)."""
    message = f"{previous_mac}\x00{canonical_record}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
