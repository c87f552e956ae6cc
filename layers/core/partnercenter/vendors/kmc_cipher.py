"""KMC's cipher, as a pluggable component.

KMC's real module (``IcertSecuManager``) is closed, so the adapter only depends on the
``KmcCipher`` protocol. ``AesGcmKmcCipher`` is a real authenticated implementation used by the
simulator and anywhere KMC's module is not available.
"""

from __future__ import annotations

import base64
import os
import re
from typing import Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from partnercenter.errors import VerificationTampered

_NONCE_BYTES = 12
_KEY_BYTES = 32
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class KmcCipher(Protocol):
    """Per-request sealing keyed by ``cert_num`` ("" selects the site key, as for tr_cert)."""

    def encrypt(self, cert_num: str, plaintext: bytes) -> str: ...

    def decrypt(self, cert_num: str, token: str) -> bytes:
        """Raises VerificationTampered when ``token`` was not sealed under ``cert_num``."""
        ...

    def mac(self, cert_num: str, data: str) -> str: ...

    def verify_mac(self, cert_num: str, data: str, mac: str) -> bool: ...


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url; raises ValueError on anything else."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AesGcmKmcCipher:
    """AES-256-GCM with a random nonce, and HMAC-SHA256, under keys derived per certNum.

    HKDF-SHA256(key, info=certNum) yields 64 bytes: the first half keys AES-GCM, the second
    HMAC, so one request's keys neither open another request's tokens nor serve both purposes.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise ValueError("the KMC cipher key must be 32 bytes")
        self._key = key

    def _keys(self, cert_num: str) -> tuple[bytes, bytes]:
        okm = HKDF(
            algorithm=hashes.SHA256(),
            length=2 * _KEY_BYTES,
            salt=None,
            info=cert_num.encode("utf-8"),
        ).derive(self._key)
        return okm[:_KEY_BYTES], okm[_KEY_BYTES:]

    def encrypt(self, cert_num: str, plaintext: bytes) -> str:
        enc_key, _ = self._keys(cert_num)
        nonce = os.urandom(_NONCE_BYTES)
        return b64url_encode(nonce + AESGCM(enc_key).encrypt(nonce, plaintext, None))

    def decrypt(self, cert_num: str, token: str) -> bytes:
        enc_key, _ = self._keys(cert_num)
        try:
            raw = b64url_decode(token)
            return AESGCM(enc_key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except (ValueError, InvalidTag) as exc:
            raise VerificationTampered() from exc

    def mac(self, cert_num: str, data: str) -> str:
        _, mac_key = self._keys(cert_num)
        h = hmac.HMAC(mac_key, hashes.SHA256())
        h.update(data.encode("utf-8"))
        return b64url_encode(h.finalize())

    def verify_mac(self, cert_num: str, data: str, mac: str) -> bool:
        _, mac_key = self._keys(cert_num)
        h = hmac.HMAC(mac_key, hashes.SHA256())
        h.update(data.encode("utf-8"))
        try:
            h.verify(b64url_decode(mac))  # constant-time comparison
        except (ValueError, InvalidSignature):
            return False
        return True
