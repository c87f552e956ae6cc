"""The adapter for KMC's distributed module: protocol, timeout and error paths (no network).

The module is the committed stand-in ``kmc_module_standin.py``, which speaks the same
stdin/stdout protocol; it proves our handling of that protocol, not KMC's cipher.
"""

from __future__ import annotations

import datetime
import os
import shutil
import stat
import traceback
from pathlib import Path

import pytest

from partnercenter.errors import VendorUnavailable, VerificationTampered
from partnercenter.vendors import KmcModuleCipher, KmcVendor, build_vendor
from partnercenter.vendors.kmc import SITE_KEY, seal, unseal
from partnercenter.vendors.kmc_cipher import b64url_encode

STANDIN = str(Path(__file__).with_name("kmc_module_standin.py"))
KEY = "site-key-material-from-kmc"
SECRET_PAYLOAD = "홍길동/01012345678"
NOW = datetime.datetime(2026, 11, 29, 1, 0, tzinfo=datetime.UTC)


def module(key: str = KEY, **options: float) -> KmcModuleCipher:
    return KmcModuleCipher(command=STANDIN, key=key, **options)


def kmc_secret(**changes: str | None) -> dict[str, str]:
    secret = {
        "cpId": "CP",
        "urlCode": "001001",
        "cipher": "kmc-module",
        "cipherCommand": STANDIN,
        "cipherKey": KEY,
    }
    for name, value in changes.items():
        if value is None:
            del secret[name]
        else:
            secret[name] = value
    return secret


def build(secret: dict[str, str]) -> KmcVendor:
    vendor = build_vendor(
        "kmc",
        secret=secret,
        request_url="https://kmc.example/request",
        token_api_url="https://kmc.example/token",
        timeout_seconds=20,
    )
    assert isinstance(vendor, KmcVendor)
    return vendor


def test_sealing_round_trips_through_the_module() -> None:
    cipher = module()
    sealed = seal(cipher, "CERT1", SECRET_PAYLOAD.encode("euc_kr"))
    assert unseal(cipher, "CERT1", sealed).decode("euc_kr") == SECRET_PAYLOAD
    assert cipher.verify_mac("CERT1", "data", cipher.mac("CERT1", "data"))
    assert not cipher.verify_mac("CERT1", "data", cipher.mac("CERT2", "data"))


def test_a_token_sealed_for_another_request_is_tampered_not_unavailable() -> None:
    # The module's exit 2 on decrypt is a forgery (400), never an outage (503).
    cipher = module()
    sealed = seal(cipher, "CERT1", b"payload")
    with pytest.raises(VerificationTampered):
        unseal(cipher, "CERT2", sealed)


def test_the_configured_module_seals_the_vendors_requests() -> None:
    vendor = build(kmc_secret())
    started = vendor.start(verification_id="v-1", callback_url="https://cb", now=NOW)
    plain = unseal(module(), SITE_KEY, started.form_fields["tr_cert"]).decode("euc_kr")
    assert plain.split("/")[:3] == ["CP", "001001", started.vendor_tx_id]


# R-SEC-3: neither the key material nor the data sealed reaches a log line or an error.
@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("hang:Zq8-key-material", "times out"),
        ("fail:Zq8-key-material", "exits non-zero"),
        ("garbage:Zq8-key-material", "answers out of protocol"),
    ],
)
def test_a_misbehaving_module_is_vendor_unavailable_and_leaks_nothing(
    key: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cipher = module(key, timeout_seconds=0.5)
    with pytest.raises(VendorUnavailable) as caught:
        cipher.encrypt("CERT1", SECRET_PAYLOAD.encode("utf-8"))
    captured = capsys.readouterr()
    seen = captured.out + captured.err + "".join(traceback.format_exception(caught.value))
    seen += repr(cipher)
    for secret in (key, SECRET_PAYLOAD, b64url_encode(SECRET_PAYLOAD.encode("utf-8"))):
        assert secret not in seen, why


def test_a_module_gone_after_start_up_is_vendor_unavailable(tmp_path: Path) -> None:
    copy = tmp_path / "kmc-module"
    shutil.copy(STANDIN, copy)
    cipher = KmcModuleCipher(command=str(copy), key=KEY)
    copy.unlink()
    with pytest.raises(VendorUnavailable):
        cipher.mac("CERT1", "data")


def test_a_module_answering_with_a_non_base64_plaintext_is_unavailable(tmp_path: Path) -> None:
    script = tmp_path / "kmc-module"
    script.write_text('#!/bin/sh\ncat >/dev/null\necho \'{"result": "not*base64"}\'\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(VendorUnavailable):
        KmcModuleCipher(command=str(script), key=KEY).decrypt("CERT1", "token")


def test_the_module_needs_key_material() -> None:
    with pytest.raises(ValueError, match="lacks cipherKey"):
        KmcModuleCipher(command=STANDIN, key="")


def _not_executable(tmp_path: Path) -> str:
    plain = tmp_path / "kmc-module"
    plain.write_text("not a program")
    os.chmod(plain, 0o644)
    return str(plain)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cipher": None}, "lacks cipher"),
        ({"cipher": "rot13"}, "cipher must be one of kmc-module, simulator"),
        ({"cipherKey": None}, "lacks cipherKey"),
        ({"cipherCommand": None}, "lacks cipherCommand"),
        ({"cipherCommand": "kmc-module"}, "absolute path"),
        ({"cipherCommand": "/nonexistent/kmc-module"}, "not an executable file"),
        ({"cipherCommand": "NOT_EXECUTABLE"}, "not an executable file"),
        ({"cipher": "simulator", "cipherKey": KEY}, "not urlsafe base64|32 bytes"),
    ],
)
def test_an_incomplete_kmc_configuration_is_refused_by_name(
    changes: dict[str, str | None], message: str, tmp_path: Path
) -> None:
    if changes.get("cipherCommand") == "NOT_EXECUTABLE":
        changes = {"cipherCommand": _not_executable(tmp_path)}
    with pytest.raises(ValueError, match=message) as caught:
        build(kmc_secret(**changes))
    assert KEY not in str(caught.value)
    assert "rot13" not in str(caught.value)
