"""The configured identity vendor (R-IDV-1): flow and handlers never name an adapter.

Which vendor, where it lives and its credentials are configuration: ``IDENTITY_VENDOR``,
``VENDOR_REQUEST_URL``, ``VENDOR_API_URL``, ``VENDOR_TIMEOUT_SECONDS`` and ``VENDOR_SECRET``
(a Secrets Manager secret holding the vendor's JSON credentials). ``PUBLIC_BASE_URL`` is where
the vendor posts its callbacks back to.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Literal

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from partnercenter.dal.aws import get_secret
from partnercenter.errors import VendorUnavailable
from partnercenter.observability import METRIC_VENDOR_UNAVAILABLE, logger, metrics
from partnercenter.vendors import IdentityVendor, Transport, build_vendor


class VendorSettings(BaseModel):
    """The identity function's own environment, next to the stack-wide ``config.Settings``."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    identity_vendor: Literal["kmc", "portone"] = Field("kmc", alias="IDENTITY_VENDOR")
    vendor_request_url: str = Field(alias="VENDOR_REQUEST_URL")
    vendor_api_url: str = Field(alias="VENDOR_API_URL")
    # A real KMC integrator needed about 20 s on the token API; the function's timeout is 29 s.
    vendor_timeout_seconds: float = Field(20.0, gt=0, le=25, alias="VENDOR_TIMEOUT_SECONDS")
    vendor_secret: str = Field(alias="VENDOR_SECRET")
    public_base_url: str = Field(alias="PUBLIC_BASE_URL")

    def callback_url(self, verification_id: str) -> str:
        return (
            f"{self.public_base_url.rstrip('/')}/identity-verifications/{verification_id}/callback"
        )


@lru_cache(maxsize=1)
def get_vendor_settings() -> VendorSettings:
    """Read once per container, on first use (not at import: cold start)."""
    return VendorSettings.model_validate(dict(os.environ))


class _TransportHook:
    """Where the adapters' server-to-server calls go: real HTTP unless a test reroutes them."""

    transport: Transport | None = None


@contextmanager
def vendor_transport(transport: Transport) -> Iterator[None]:
    """Send the vendor's server-to-server calls through ``transport`` inside the block.

    In-process tests hand in the simulator's ``transport``; a plain attribute rather than a
    context variable, so that threads started inside the block see it too.
    """
    previous = _TransportHook.transport
    _TransportHook.transport = transport
    try:
        yield
    finally:
        _TransportHook.transport = previous


def current_vendor() -> IdentityVendor:
    """The adapter the configuration names, with credentials fresh from Secrets Manager.

    The secret is cached for five minutes by Powertools Parameters; the adapter is rebuilt
    only when the secret (a rotation) or the transport changes. A configuration that cannot
    build an adapter is VendorUnavailable.
    """
    try:
        settings = get_vendor_settings()
        return _build(settings, get_secret(settings.vendor_secret), _TransportHook.transport)
    except ValueError as exc:
        # A missing or incomplete configuration: 503 and the alarm's metric, never a 500.
        # Only our own messages are logged (they name keys); pydantic's would quote values.
        reason = "settings" if isinstance(exc, ValidationError) else str(exc)
        logger.error("identity vendor misconfigured", extra={"reason": reason})
        raise VendorUnavailable() from None


@contextmanager
def vendor_unavailability_counted() -> Iterator[None]:
    """Count every VendorUnavailable raised inside the block (configuration, module, vendor)."""
    try:
        yield
    except VendorUnavailable:
        metrics.add_metric(name=METRIC_VENDOR_UNAVAILABLE, unit=MetricUnit.Count, value=1)
        raise


@lru_cache(maxsize=4)
def _build(
    settings: VendorSettings, secret_text: str, transport: Transport | None
) -> IdentityVendor:
    try:
        secret = json.loads(secret_text)
    except ValueError:
        secret = None
    if not isinstance(secret, dict):
        # Never quote the secret: name the variable that points at it.
        raise ValueError("the secret VENDOR_SECRET names is not a JSON object")
    return build_vendor(
        settings.identity_vendor,
        secret=secret,
        request_url=settings.vendor_request_url,
        token_api_url=settings.vendor_api_url,
        timeout_seconds=settings.vendor_timeout_seconds,
        transport=transport,
    )


def reset() -> None:
    """Forget the settings and adapters (tests start a fresh AWS emulation per test)."""
    get_vendor_settings.cache_clear()
    _build.cache_clear()
