"""The vendor-neutral identity-verification contract and the HTTP seam the adapters use."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from partnercenter.errors import VendorUnavailable, VerificationExpired

UTC = datetime.UTC
KST = datetime.timezone(datetime.timedelta(hours=9), "KST")

# A vendor clock ahead of ours by more than this is not trusted (clock skew allowance).
MAX_FUTURE_SKEW = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    timeout: float


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


Transport = Callable[[HttpRequest], HttpResponse]


@dataclass(frozen=True)
class VendorStart:
    action_url: str  # where the browser posts form_fields
    form_fields: dict[str, str]
    vendor_tx_id: str  # KMC certNum / PortOne identityVerificationId


@dataclass(frozen=True, repr=False)
class VerifiedIdentity:
    """A verified person. CI lives in memory only: callers hash it and drop it."""

    vendor: str
    vendor_tx_id: str
    name: str
    phone: str | None
    birth_date: datetime.date
    ci: str
    carrier: str | None
    foreigner: bool | None
    gender: str | None  # "male" / "female" / None
    verified_at: datetime.datetime  # aware, UTC

    def __repr__(self) -> str:
        # Personal fields stay out of reprs, tracebacks and log lines.
        return f"VerifiedIdentity(vendor={self.vendor!r}, vendor_tx_id={self.vendor_tx_id!r})"

    def is_under_14(self, today: datetime.date) -> bool:
        """Whether the person has fewer than 14 full years of age on ``today``.

        Comparing (month, day) makes a 29 February birthday complete on 1 March in common
        years, as the Korean Civil Code (art. 160(3)) counts it.
        """
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday < 14


class IdentityVendor(Protocol):
    name: str
    window: datetime.timedelta

    def start(
        self, *, verification_id: str, callback_url: str, now: datetime.datetime
    ) -> VendorStart: ...

    def complete(
        self, *, vendor_tx_id: str, callback: Mapping[str, str], now: datetime.datetime
    ) -> VerifiedIdentity: ...


def urllib_transport(request: HttpRequest) -> HttpResponse:
    """Send ``request`` with urllib; any failure to get an answer is VendorUnavailable."""
    # Imported here: http.client and urllib.request cost cold-start time on every other path.
    import http.client
    import urllib.error
    import urllib.request

    if not request.url.startswith(("https://", "http://")):
        raise ValueError("vendor URLs must be http(s)")
    req = urllib.request.Request(  # noqa: S310 (scheme checked above)
        request.url,
        data=request.body if request.method != "GET" else None,
        headers=dict(request.headers),
        method=request.method,
    )
    try:
        try:
            with urllib.request.urlopen(req, timeout=request.timeout) as resp:  # noqa: S310  # nosec B310
                return HttpResponse(resp.status, dict(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as exc:
            # An HTTP error status is still an answer: the adapter maps it.
            with exc:
                return HttpResponse(exc.code, dict(exc.headers.items()), exc.read())
    except (OSError, http.client.HTTPException) as exc:
        # URLError, socket timeouts, refused or reset connections are all OSErrors.
        raise VendorUnavailable() from exc


def json_object(response: HttpResponse) -> dict[str, Any]:
    """The response body as a JSON object, or VendorUnavailable for anything else."""
    try:
        value = json.loads(response.body)
    except ValueError as exc:
        raise VendorUnavailable() from exc
    if not isinstance(value, dict):
        raise VendorUnavailable()
    return value


def require_aware(now: datetime.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def ensure_fresh(
    verified_at: datetime.datetime, now: datetime.datetime, window: datetime.timedelta
) -> None:
    """Refuse a result older than ``window`` or dated implausibly in the future."""
    age = now - verified_at
    if age > window or -age > MAX_FUTURE_SKEW:
        raise VerificationExpired()
