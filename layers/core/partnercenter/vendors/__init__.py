"""Identity-verification vendors behind one protocol (R-IDV-1); ``build_vendor`` picks one."""

from __future__ import annotations

from collections.abc import Mapping

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
from partnercenter.vendors.portone import PortOneVendor

__all__ = [
    "AesGcmKmcCipher",
    "HttpRequest",
    "HttpResponse",
    "IdentityVendor",
    "KmcCipher",
    "KmcVendor",
    "PortOneVendor",
    "Transport",
    "VendorStart",
    "VerifiedIdentity",
    "build_vendor",
    "urllib_transport",
]


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

    ``token_api_url`` is KMC's token API URL, or PortOne's REST API base URL.
    Raises ValueError naming the missing key, never a secret value.
    """

    def need(key: str) -> str:
        value = secret.get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"the {name} secret lacks {key}")
        return value

    if name == "kmc":
        encoded_key = need("cipherKey")
        try:
            key = b64url_decode(encoded_key.rstrip("="))
        except ValueError:
            raise ValueError("the kmc secret's cipherKey is not urlsafe base64") from None
        return KmcVendor(
            cp_id=need("cpId"),
            url_code=need("urlCode"),
            cipher=AesGcmKmcCipher(key),
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
