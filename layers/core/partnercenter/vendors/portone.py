"""PortOne V2 identity verification, pull model: the browser's return only names the id."""

from __future__ import annotations

import datetime
import secrets
import urllib.parse
from collections.abc import Mapping
from typing import Any

from partnercenter.errors import (
    PartnerCenterError,
    VendorUnavailable,
    VerificationFailed,
    VerificationTampered,
    VerificationUsed,
)
from partnercenter.vendors.base import (
    UTC,
    HttpRequest,
    Transport,
    VendorStart,
    VerifiedIdentity,
    ensure_fresh,
    json_object,
    require_aware,
    urllib_transport,
)

ID_PREFIX = "iv-"
_GENDERS: dict[object, str] = {"MALE": "male", "FEMALE": "female"}

# Error ``type``s of GET /identity-verifications/{id}; any other is VendorUnavailable
# (UNAUTHORIZED, FORBIDDEN, INVALID_REQUEST, PG_PROVIDER, MAX_TRANSACTION_COUNT_REACHED:
# our configuration or PortOne's side, nothing the person can fix).
_ERROR_TYPES: dict[object, type[PartnerCenterError]] = {
    # The id is ours and the return named it, so the person never got as far as PortOne.
    "IDENTITY_VERIFICATION_NOT_FOUND": VerificationFailed,
    "IDENTITY_VERIFICATION_NOT_SENT": VerificationFailed,
    "IDENTITY_VERIFICATION_ALREADY_SENT": VerificationUsed,
    "IDENTITY_VERIFICATION_ALREADY_VERIFIED": VerificationUsed,
}


class PortOneVendor:
    """The PortOne V2 adapter: trusts nothing from the browser but the id, then asks the API."""

    name: str = "portone"
    window: datetime.timedelta = datetime.timedelta(minutes=30)

    def __init__(
        self,
        *,
        store_id: str,
        api_secret: str,
        request_url: str,
        api_base_url: str,
        timeout_seconds: float,
        transport: Transport | None = None,
    ) -> None:
        if not store_id or not api_secret:
            raise ValueError("PortOne storeId and apiSecret must be non-empty")
        self._store_id = store_id
        self._api_secret = api_secret
        self._request_url = request_url
        self._api_base_url = api_base_url.rstrip("/")
        self._timeout = timeout_seconds
        self._transport = transport or urllib_transport

    def start(
        self,
        *,
        verification_id: str,  # noqa: ARG002 (the protocol's; PortOne gets an id of its own)
        callback_url: str,
        now: datetime.datetime,
    ) -> VendorStart:
        # A fresh id rather than ours: PortOne ids are visible to the browser and the vendor.
        require_aware(now)
        tx_id = ID_PREFIX + secrets.token_hex(16)
        fields = {
            "storeId": self._store_id,
            "identityVerificationId": tx_id,
            "redirectUrl": callback_url,
        }
        return VendorStart(action_url=self._request_url, form_fields=fields, vendor_tx_id=tx_id)

    def complete(
        self, *, vendor_tx_id: str, callback: Mapping[str, str], now: datetime.datetime
    ) -> VerifiedIdentity:
        require_aware(now)
        if callback.get("identityVerificationId") != vendor_tx_id:
            raise VerificationTampered()
        answer = self._fetch(vendor_tx_id)
        if answer.get("id", vendor_tx_id) != vendor_tx_id:
            raise VerificationTampered()
        status = answer.get("status")
        if status in ("FAILED", "READY"):  # READY: started but never completed (cancelled)
            raise VerificationFailed()
        if status != "VERIFIED":
            raise VendorUnavailable()
        verified_at = _timestamp(answer.get("verifiedAt"))
        ensure_fresh(verified_at, now, self.window)
        return self._identity(vendor_tx_id, answer.get("verifiedCustomer"), verified_at)

    def _fetch(self, tx_id: str) -> dict[str, Any]:
        url = (
            f"{self._api_base_url}/identity-verifications/{urllib.parse.quote(tx_id, safe='')}"
            f"?{urllib.parse.urlencode({'storeId': self._store_id})}"
        )
        headers = {"Authorization": f"PortOne {self._api_secret}", "Accept": "application/json"}
        response = self._transport(HttpRequest("GET", url, headers, b"", self._timeout))
        if response.status in (401, 403) or response.status >= 500:
            raise VendorUnavailable()
        answer = json_object(response)
        if response.status != 200:
            raise _ERROR_TYPES.get(answer.get("type"), VendorUnavailable)()
        return answer

    def _identity(
        self, tx_id: str, customer: object, verified_at: datetime.datetime
    ) -> VerifiedIdentity:
        if not isinstance(customer, dict):
            raise VendorUnavailable()
        name, ci, birth = customer.get("name"), customer.get("ci"), customer.get("birthDate")
        # Without a birth date there is no under-14 check and without a CI no duplicate
        # check: a channel that omits them is misconfigured, not the person's fault.
        if not (
            isinstance(name, str) and name and isinstance(ci, str) and ci and isinstance(birth, str)
        ):
            raise VendorUnavailable()
        try:
            birth_date = datetime.date.fromisoformat(birth)
        except ValueError:
            raise VendorUnavailable() from None  # the message would quote the birth date
        foreigner = customer.get("isForeigner")
        return VerifiedIdentity(
            vendor=self.name,
            vendor_tx_id=tx_id,
            name=name,
            phone=_optional_text(customer.get("phoneNumber")),
            birth_date=birth_date,
            ci=ci,
            carrier=_optional_text(customer.get("operator")),
            foreigner=foreigner if isinstance(foreigner, bool) else None,
            gender=_GENDERS.get(customer.get("gender")),
            verified_at=verified_at,
        )


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _timestamp(value: object) -> datetime.datetime:
    """PortOne's RFC 3339 timestamp as aware UTC; VendorUnavailable when absent or bad."""
    if not isinstance(value, str):
        raise VendorUnavailable()
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise VendorUnavailable() from None
    if moment.tzinfo is None:
        raise VendorUnavailable()
    return moment.astimezone(UTC)
