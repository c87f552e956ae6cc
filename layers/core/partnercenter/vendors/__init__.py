"""Identity-verification vendors behind one protocol (R-IDV-1); ``build_vendor`` picks one."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from partnercenter.vendors.base import (
    HttpRequest,
    HttpResponse,
    IdentityVendor,
    Transport,
    VendorStart,
    VerifiedIdentity,
    urllib_transport,
)
from partnercenter.vendors.kmc import KmcVendor
from partnercenter.vendors.kmc_cipher import AesGcmKmcCipher, KmcCipher, b64url_decode
from partnercenter.vendors.kmc_module import KmcModuleCipher
from partnercenter.vendors.portone import PortOneVendor

__all__ = [
    "KMC_CIPHERS",
    "AesGcmKmcCipher",
    "HttpRequest",
    "HttpResponse",
    "IdentityVendor",
    "KmcCipher",
    "KmcModuleCipher",
    "KmcVendor",
    "PortOneVendor",
    "Transport",
    "VendorStart",
    "VerifiedIdentity",
    "build_vendor",
    "urllib_transport",
]

# The vendor secret's ``cipher`` for KMC: its distributed module (deployed stacks) or the
# simulator's AES-GCM stand-in (the local stack and tests). Never defaulted: a secret that
# does not say which is incomplete, and a deployed stack must not fall back to the stand-in.
KMC_MODULE = "kmc-module"
KMC_SIMULATOR = "simulator"
KMC_CIPHERS = (KMC_MODULE, KMC_SIMULATOR)


def build_vendor(
    name: str,
    *,
    secret: Mapping[str, str],
    request_url: str,
    token_api_url: str,
    timeout_seconds: float,
    transport: Transport | None = None,
) -> IdentityVendor:
    """The adapter for ``name`` ("kmc" or "portone") from its Secrets Manager JSON.

    ``token_api_url`` is KMC's token API URL, or PortOne's REST API base URL. KMC's secret
    also names its cipher: ``cipher`` (see ``KMC_CIPHERS``), ``cipherKey`` and, for KMC's
    module, ``cipherCommand`` (docs/vendor-cipher.md).
    Raises ValueError naming the missing key, never a secret value.
    """

    def need(key: str) -> str:
        value = secret.get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"the {name} secret lacks {key}")
        return value

    if name == "kmc":
        return KmcVendor(
            cp_id=need("cpId"),
            url_code=need("urlCode"),
            cipher=_kmc_cipher(need),
            request_url=request_url,
            token_api_url=token_api_url,
            timeout_seconds=timeout_seconds,
            transport=transport,
        )
    if name == "portone":
        return PortOneVendor(
            store_id=need("storeId"),
            api_secret=need("apiSecret"),
            request_url=request_url,
            api_base_url=token_api_url,
            timeout_seconds=timeout_seconds,
            transport=transport,
        )
    raise ValueError(f"unknown identity vendor {name!r}")


def _kmc_cipher(need: Callable[[str], str]) -> KmcCipher:
    """The cipher the kmc secret's ``cipher`` names, keyed by its ``cipherKey``."""
    kind = need("cipher")
    if kind == KMC_MODULE:
        return KmcModuleCipher(command=need("cipherCommand"), key=need("cipherKey"))
    if kind == KMC_SIMULATOR:
        try:
            key = b64url_decode(need("cipherKey").rstrip("="))
        except ValueError:
            raise ValueError("the kmc secret's cipherKey is not urlsafe base64") from None
        return AesGcmKmcCipher(key)
    raise ValueError(f"the kmc secret's cipher must be one of {', '.join(KMC_CIPHERS)}")
