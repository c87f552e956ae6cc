"""Spare moto the work no AWS behaviour of a fresh world depends on.

A test builds every resource of the template in a fresh moto world, and moto 5.2.5 spends most
of that time on two kinds of key material nobody here asks for:

- every KMS key gets a new RSA-2048 private key, even a SYMMETRIC_DEFAULT one (AWS has no
  private key for those); moto only reads it for Sign, Verify and GetPublicKey. It is now made
  on first use of it, so those operations behave as before;
- every Cognito user pool imports the same RSA key from the same file moto ships (recovering
  its primes each time); it is imported once and shared, as its content already was.

What moto stores and answers is unchanged. Used by the tests, never deployed.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from typing import Any

_PATCHED = "_partnercenter_cheap"


class _OnFirstUse:
    """A private key made the first time anything of it is used."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._key is None:
                self._key = self._make()
        return getattr(self._key, name)


def _symmetric_keys_on_first_use() -> None:
    from moto.kms import models

    generate = models.__dict__["generate_private_key"]
    if getattr(generate, _PATCHED, False):
        return

    @functools.wraps(generate)
    def deferred(key_spec: str) -> Any:
        if key_spec == "SYMMETRIC_DEFAULT":
            return _OnFirstUse(lambda: generate(key_spec))
        return generate(key_spec)

    setattr(deferred, _PATCHED, True)
    setattr(models, "generate_private_key", deferred)  # noqa: B010 - not re-exported by moto


class _RsaKeyImportedOnce:
    """joserfc's ``RSAKey`` as moto's user pools use it: the same document, imported once."""

    def __init__(self, rsa_key: Any) -> None:
        self._rsa_key = rsa_key
        self._imported = functools.cache(lambda document: rsa_key.import_key(json.loads(document)))

    def import_key(self, document: Any) -> Any:
        return self._imported(json.dumps(document, sort_keys=True))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rsa_key, name)


class _Jwk:
    """joserfc's ``jwk`` module with ``RSAKey`` imported once per document."""

    def __init__(self, jwk: Any) -> None:
        self._jwk = jwk
        self.RSAKey = _RsaKeyImportedOnce(jwk.RSAKey)
        setattr(self, _PATCHED, True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jwk, name)


def _user_pool_key_imported_once() -> None:
    from moto.cognitoidp import models

    jwk = models.__dict__["jwk"]
    if not getattr(jwk, _PATCHED, False):
        setattr(models, "jwk", _Jwk(jwk))  # noqa: B010 - not re-exported by moto


def spare_moto_unused_key_material() -> None:
    """Patch moto once per process (repeat calls change nothing)."""
    _symmetric_keys_on_first_use()
    _user_pool_key_imported_once()
