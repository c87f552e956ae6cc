"""Field encryption under a subject's data key, and keyed hashes for lookups (R-SEC-1).

AES-256-GCM from ``cryptography`` with a random 96-bit nonce; the additional data binds each
ciphertext to its subject and field, so a ciphertext copied elsewhere does not open. Data keys
come from KMS (envelope encryption, see ``dal.data_keys``); a key for one narrow purpose may
instead be derived from a secret with HKDF (``purpose_key``). Nothing here invents crypto.
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
_TAG_BYTES = 16
# ``cryptography`` is imported with the first cipher, not at init (lookup hashes and the access
# chain's MACs, which most imports of this module are for, need only hmac); SnapStart's priming
# imports them before the snapshot.
CIPHER_MODULES = (
    "cryptography.exceptions",
    "cryptography.hazmat.primitives.ciphers.aead",
    "cryptography.hazmat.primitives.kdf.hkdf",
)


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
        sealed = seal(self._aead, value.encode("utf-8"), self._aad(field))
        return base64.b64encode(sealed).decode("ascii")

    def open(self, field: str, token: str) -> str:
        plain = open_sealed(self._aead, base64.b64decode(token), self._aad(field), field)
        return plain.decode("utf-8")


def seal(aead: AESGCM, plaintext: bytes, associated_data: bytes) -> bytes:
    """``plaintext`` under a fresh random nonce, stored in front of the ciphertext."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, associated_data)


def open_sealed(aead: AESGCM, sealed: bytes, associated_data: bytes, what: str) -> bytes:
    """The plaintext of ``seal``'s output; ``UnreadableCiphertext`` (naming ``what``, never
    the content) if the key or the associated data differ or a byte was changed."""
    from cryptography.exceptions import InvalidTag

    if len(sealed) < _NONCE_BYTES + _TAG_BYTES:
        raise UnreadableCiphertext(what)
    try:
        return aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], associated_data)
    except InvalidTag as exc:
        raise UnreadableCiphertext(what) from exc


def purpose_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose only, derived from a high-entropy secret with HKDF-SHA256
    (RFC 5869): keys of different ``purpose`` labels are independent of each other and of the
    secret's other uses."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode())


def keyed_hash(key: str, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` in the namespace ``kind``: lookups without clear text."""
    message = f"{kind}\x00{value}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def chain_mac(key: str, previous_mac: str, canonical_record: str) -> str:
    """The MAC that links one access record to the one before it (R-SEC-2)."""
    message = f"{previous_mac}\x00{canonical_record}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
