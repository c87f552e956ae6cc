"""Which vendor serves the routes is configuration (R-IDV-1); credentials never leak in errors."""

from __future__ import annotations

import json

import pytest

from partnercenter.identity import vendor as identity_vendor
from partnercenter.identity.vendor import VendorSettings, _build, vendor_transport
from partnercenter.vendors import HttpRequest, HttpResponse, KmcVendor, PortOneVendor

ENV = {
    "VENDOR_REQUEST_URL": "https://vendor.example/request",
    "VENDOR_API_URL": "https://vendor.example/api",
    "VENDOR_SECRET": "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:VendorSecret",
    "PUBLIC_BASE_URL": "https://api.example/dev/",
}
KMC_SECRET = {"cpId": "CP", "urlCode": "001001", "cipher": "simulator", "cipherKey": "A" * 43}
PORTONE_SECRET = {"storeId": "store-1", "apiSecret": "s3cr3t-value"}


@pytest.fixture(autouse=True)
def _fresh() -> None:
    identity_vendor.reset()


def test_settings_come_from_the_environment_once(monkeypatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("VENDOR_TIMEOUT_SECONDS", "7")
    settings = identity_vendor.get_vendor_settings()
    assert identity_vendor.get_vendor_settings() is settings
    assert (settings.identity_vendor, settings.vendor_timeout_seconds) == ("kmc", 7.0)
    assert (
        settings.callback_url("v-1")
        == "https://api.example/dev/identity-verifications/v-1/callback"
    )


@pytest.mark.parametrize(
    ("name", "secret", "adapter"),
    [("kmc", KMC_SECRET, KmcVendor), ("portone", PORTONE_SECRET, PortOneVendor)],
)
def test_the_configured_vendor_is_built(name: str, secret: dict[str, str], adapter: type) -> None:
    settings = VendorSettings.model_validate({**ENV, "IDENTITY_VENDOR": name})
    vendor = _build(settings, json.dumps(secret), None)
    assert isinstance(vendor, adapter)
    assert vendor.name == name
    # Built once per secret value: a rotated secret builds a new adapter.
    assert _build(settings, json.dumps(secret), None) is vendor


@pytest.mark.parametrize("secret_text", ["not json", '["a"]', '{"storeId": "s"}'])
def test_a_bad_vendor_secret_is_named_never_quoted(secret_text: str) -> None:
    settings = VendorSettings.model_validate({**ENV, "IDENTITY_VENDOR": "portone"})
    with pytest.raises(ValueError, match="secret") as refused:
        _build(settings, secret_text, None)
    assert "store-1" not in str(refused.value)
    assert "not json" not in str(refused.value)


def test_unknown_vendor_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="IDENTITY_VENDOR"):
        VendorSettings.model_validate({**ENV, "IDENTITY_VENDOR": "nice"})


def test_transport_hook_is_restored_after_the_block() -> None:
    def outer(_: HttpRequest) -> HttpResponse:
        return HttpResponse(200)

    def inner(_: HttpRequest) -> HttpResponse:
        return HttpResponse(500)

    assert identity_vendor._TransportHook.transport is None
    with vendor_transport(outer):
        with vendor_transport(inner):
            assert identity_vendor._TransportHook.transport is inner
        assert identity_vendor._TransportHook.transport is outer
    assert identity_vendor._TransportHook.transport is None
