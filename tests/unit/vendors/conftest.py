"""Fixtures for the vendor adapters: a simulator with a settable clock, and both adapters."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from typing import Any

import pytest

from local.vendor_sim import VendorSimulator
from partnercenter.vendors import IdentityVendor, build_vendor
from partnercenter.vendors.kmc_cipher import b64url_encode

NOW = datetime.datetime(2025, 3, 1, 3, 0, tzinfo=datetime.UTC)
CALLBACK = "https://api.example.test/identity-verifications/ver-1/callback"
SIM_BASE = "http://127.0.0.1:3002"
KMC_CP_ID = "PCTEST01"
STORE_ID = "store-test-1"
API_SECRET = "portone-secret-test"
CI = "A" * 86 + "=="
PERSON: dict[str, Any] = {
    "name": "김철수",
    "phone": "01012345678",
    "birth_date": datetime.date(1990, 5, 17),
    "ci": CI,
}


class Clock:
    """A settable clock shared by the simulator and the tests' ``now``."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, delta: datetime.timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def kmc_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def sim(clock: Clock, kmc_key: bytes) -> VendorSimulator:
    return VendorSimulator(kmc_key, KMC_CP_ID, STORE_ID, API_SECRET, clock=clock)


@pytest.fixture
def person() -> dict[str, Any]:
    return dict(PERSON)


@pytest.fixture
def callback_url() -> str:
    return CALLBACK


@pytest.fixture
def make_vendor(kmc_key: bytes, sim: VendorSimulator) -> Callable[..., IdentityVendor]:
    """``make_vendor(name, **build_vendor_overrides)``: an adapter wired to the simulator."""

    def make(name: str, **overrides: Any) -> IdentityVendor:
        return _build(name, kmc_key, sim, **overrides)

    return make


def _build(name: str, kmc_key: bytes, sim: VendorSimulator, **overrides: Any) -> IdentityVendor:
    secret = (
        {
            "cpId": KMC_CP_ID,
            "urlCode": "001001",
            "cipher": "simulator",
            "cipherKey": b64url_encode(kmc_key),
        }
        if name == "kmc"
        else {"storeId": STORE_ID, "apiSecret": API_SECRET}
    )
    options: dict[str, Any] = {
        "secret": secret,
        "request_url": f"{SIM_BASE}/_sim/{name}/" + ("request" if name == "kmc" else "verify"),
        "token_api_url": f"{SIM_BASE}/_sim/kmc/token"
        if name == "kmc"
        else f"{SIM_BASE}/_sim/portone",
        "timeout_seconds": 20.0,
        "transport": sim.transport,
    }
    options.update(overrides)
    return build_vendor(name, **options)


@pytest.fixture
def kmc(kmc_key: bytes, sim: VendorSimulator) -> IdentityVendor:
    return _build("kmc", kmc_key, sim)


@pytest.fixture
def portone(kmc_key: bytes, sim: VendorSimulator) -> IdentityVendor:
    return _build("portone", kmc_key, sim)
