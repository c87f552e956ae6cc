"""KMC adapter and cipher, against the simulator in process (no sockets)."""

from __future__ import annotations

import datetime
import json
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from local.vendor_sim import VendorSimulator
from partnercenter.errors import (
    PartnerCenterError,
    VendorUnavailable,
    VerificationExpired,
    VerificationFailed,
    VerificationTampered,
    VerificationUsed,
)
from partnercenter.vendors import (
    AesGcmKmcCipher,
    HttpRequest,
    HttpResponse,
    IdentityVendor,
    KmcVendor,
    PortOneVendor,
    VendorStart,
    VerifiedIdentity,
    build_vendor,
)
from partnercenter.vendors.kmc import (
    EXTEND_VAR,
    RESULT_FIELDS,
    SITE_KEY,
    kst_stamp,
    seal,
    unseal,
)
from partnercenter.vendors.kmc_cipher import b64url_encode

from .conftest import Clock

MINUTE = datetime.timedelta(minutes=1)


def _start(kmc: IdentityVendor, clock: Clock, callback_url: str, vid: str = "ver-1") -> VendorStart:
    return kmc.start(verification_id=vid, callback_url=callback_url, now=clock.now)


def _complete(
    kmc: IdentityVendor, start: VendorStart, fields: dict[str, str], clock: Clock
) -> VerifiedIdentity:
    return kmc.complete(vendor_tx_id=start.vendor_tx_id, callback=fields, now=clock.now)


def _raw_result(
    sim: VendorSimulator, kmc_key: bytes, start: VendorStart, fields: dict[str, str], now: Any
) -> dict[str, str]:
    """What the token API's sealed result holds (exchanges the token)."""
    cipher, cert_num = AesGcmKmcCipher(kmc_key), start.vendor_tx_id
    token = unseal(cipher, cert_num, fields["apiToken"]).decode("ascii")
    body = json.dumps({"apiToken": token, "apiDate": kst_stamp(now)}).encode()
    answer = json.loads(
        sim.transport(HttpRequest("POST", "http://sim.test/_sim/kmc/token", {}, body, 5.0)).body
    )
    plain = unseal(cipher, cert_num, answer["apiRecCert"])
    return dict(zip(RESULT_FIELDS, plain.decode("euc_kr").split("/"), strict=True))


# ---- the cipher ---------------------------------------------------------------------------


def test_cipher_round_trips_with_a_fresh_nonce_per_encryption(kmc_key: bytes) -> None:
    cipher = AesGcmKmcCipher(kmc_key)
    first, second = cipher.encrypt("C1", b"payload"), cipher.encrypt("C1", b"payload")
    assert first != second
    assert cipher.decrypt("C1", first) == cipher.decrypt("C1", second) == b"payload"


def test_cipher_keys_are_per_request(kmc_key: bytes) -> None:  # R-IDV-2
    cipher = AesGcmKmcCipher(kmc_key)
    token = cipher.encrypt("C1", b"payload")
    with pytest.raises(VerificationTampered):
        cipher.decrypt("C2", token)
    with pytest.raises(VerificationTampered):
        AesGcmKmcCipher(bytes(32)).decrypt("C1", token)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],
        lambda t: t[:10],
        lambda t: "!" + t,
        lambda t: "",
    ],
)
def test_cipher_refuses_modified_tokens(kmc_key: bytes, mangle: Callable[[str], str]) -> None:
    cipher = AesGcmKmcCipher(kmc_key)
    with pytest.raises(VerificationTampered):
        cipher.decrypt("C1", mangle(cipher.encrypt("C1", b"payload")))


def test_cipher_mac_verifies_only_the_same_data_and_request(kmc_key: bytes) -> None:
    cipher = AesGcmKmcCipher(kmc_key)
    mac = cipher.mac("C1", "data")
    assert cipher.verify_mac("C1", "data", mac)
    assert not cipher.verify_mac("C1", "datA", mac)
    assert not cipher.verify_mac("C2", "data", mac)
    assert not cipher.verify_mac("C1", "data", "not a mac!")


def test_cipher_needs_a_32_byte_key() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        AesGcmKmcCipher(b"short")


# ---- start --------------------------------------------------------------------------------


def test_start_seals_the_13_field_tr_cert(
    kmc: IdentityVendor, kmc_key: bytes, clock: Clock, callback_url: str
) -> None:
    start = _start(kmc, clock, callback_url)
    cipher = AesGcmKmcCipher(kmc_key)
    envelope = cipher.decrypt(SITE_KEY, start.form_fields["tr_cert"]).decode("ascii").split("/")
    assert len(envelope) == 3
    assert envelope[2] == EXTEND_VAR
    assert cipher.verify_mac(SITE_KEY, envelope[0], envelope[1])
    fields = unseal(cipher, SITE_KEY, start.form_fields["tr_cert"]).decode("euc_kr").split("/")
    assert fields == [
        "PCTEST01",
        "001001",
        start.vendor_tx_id,
        "20250301120000",
        "M",
        "",
        "",
        "",
        "",
        "",
        "",
        "ver-1",
        "0" * 16,
    ]
    assert start.form_fields == {
        "tr_cert": start.form_fields["tr_cert"],
        "tr_url": callback_url,
        "tr_add": "N",
        "tr_ver": "V2",
    }
    assert start.action_url.endswith("/_sim/kmc/request")


def test_cert_nums_are_unique_and_at_most_40_bytes(
    kmc: IdentityVendor, clock: Clock, callback_url: str
) -> None:
    cert_nums = {_start(kmc, clock, callback_url).vendor_tx_id for _ in range(50)}
    assert len(cert_nums) == 50
    assert all(len(c.encode()) <= 40 and "/" not in c for c in cert_nums)


def test_start_refuses_naive_now_and_slashes(kmc: IdentityVendor, callback_url: str) -> None:
    with pytest.raises(ValueError, match="aware"):
        kmc.start(verification_id="v", callback_url=callback_url, now=datetime.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="must not contain"):
        kmc.start(
            verification_id="a/b",
            callback_url=callback_url,
            now=datetime.datetime.now(datetime.UTC),
        )


# ---- complete -----------------------------------------------------------------------------


def test_success_yields_the_verified_identity(  # R-IDV-1, R-IDV-3 (the values to match)
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(kmc, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person)
    assert set(fields) == {"certNum", "apiToken"}
    identity = _complete(kmc, start, fields, clock)
    assert (identity.vendor, identity.vendor_tx_id) == ("kmc", start.vendor_tx_id)
    assert (identity.name, identity.phone) == ("김철수", "01012345678")
    assert identity.birth_date == datetime.date(1990, 5, 17)
    assert identity.ci == person["ci"]
    assert (identity.carrier, identity.foreigner, identity.gender) == ("SKT", False, "male")
    assert identity.verified_at == clock.now
    assert identity.verified_at.utcoffset() == datetime.timedelta(0)
    assert not identity.is_under_14(clock.now.date())
    text = repr(identity) + str(identity)
    for secret in ("김철수", "01012345678", person["ci"], "1990"):
        assert secret not in text


def test_female_and_text_outside_ks_x_1001_travel_as_euc_kr(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    kmc_key: bytes,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    person |= {"name": "똠방각하", "gender": "female"}
    start = _start(kmc, clock, callback_url)
    raw = _raw_result(sim, kmc_key, start, sim.complete_at_vendor(start, **person), clock.now)
    assert (raw["name"], raw["gender"], raw["nation"]) == ("똠방각하", "1", "0")

    start = _start(kmc, clock, callback_url)
    identity = _complete(kmc, start, sim.complete_at_vendor(start, **person), clock)
    assert (identity.name, identity.gender) == ("똠방각하", "female")


@pytest.mark.parametrize("outcome", ["fail", "cancel"])
def test_failed_or_cancelled_verification_is_refused(  # R-IDV-2
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    outcome: str,
) -> None:
    start = _start(kmc, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, outcome=outcome)
    with pytest.raises(VerificationFailed):
        _complete(kmc, start, fields, clock)


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("tampered_mac", VerificationTampered),
        ("other_cert_num", VerificationTampered),
        ("stale_date", VerificationExpired),
        ("apr02", VerificationExpired),
        ("apr03", VerificationUsed),
        ("apr06", VerificationUsed),
    ],
)
def test_forged_expired_or_refused_results_are_refused(  # R-IDV-2
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    scenario: str,
    error: type[PartnerCenterError],
) -> None:
    start = _start(kmc, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, scenario=scenario)
    with pytest.raises(error) as caught:
        _complete(kmc, start, fields, clock)
    assert str(caught.value) == error.default_message  # no personal data in the message


def test_a_result_is_accepted_only_once(  # R-IDV-2
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(kmc, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person)
    _complete(kmc, start, fields, clock)
    with pytest.raises(VerificationUsed):
        _complete(kmc, start, fields, clock)


def test_the_callback_of_another_request_is_refused(  # R-IDV-2
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    mine, theirs = _start(kmc, clock, callback_url), _start(kmc, clock, callback_url, "ver-2")
    their_fields = sim.complete_at_vendor(theirs, **person)
    my_fields = sim.complete_at_vendor(mine, **person)
    for forged in (
        their_fields,
        {**my_fields, "certNum": their_fields["certNum"]},
        {**my_fields, "apiToken": their_fields["apiToken"]},
    ):
        with pytest.raises(VerificationTampered):
            _complete(kmc, mine, forged, clock)
    # The refusals changed nothing: both still complete.
    assert _complete(kmc, mine, my_fields, clock).vendor_tx_id == mine.vendor_tx_id
    assert _complete(kmc, theirs, their_fields, clock).vendor_tx_id == theirs.vendor_tx_id


@pytest.mark.parametrize(
    "callback", [{}, {"certNum": "abc"}, {"certNum": "abc", "apiToken": "def"}]
)
def test_a_made_up_callback_is_tampered(
    kmc: IdentityVendor, clock: Clock, callback_url: str, callback: dict[str, str]
) -> None:
    start = _start(kmc, clock, callback_url)
    with pytest.raises(VerificationTampered):
        _complete(kmc, start, callback, clock)


@pytest.mark.parametrize(
    ("skew", "error"),
    [
        (-31 * MINUTE, VerificationExpired),  # older than 30 minutes
        (-29 * MINUTE, None),
        (4 * MINUTE, None),  # a vendor clock slightly ahead is tolerated
        (10 * MINUTE, VerificationExpired),  # far in the future is not
    ],
)
def test_result_date_must_be_within_the_window(  # R-IDV-2
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    skew: datetime.timedelta,
    error: type[PartnerCenterError] | None,
) -> None:
    start = _start(kmc, clock, callback_url)
    clock.advance(skew)  # the vendor's clock when the person finished
    fields = sim.complete_at_vendor(start, **person)
    clock.advance(-skew)
    if error is None:
        assert _complete(kmc, start, fields, clock).verified_at == clock.now + skew
    else:
        with pytest.raises(error):
            _complete(kmc, start, fields, clock)


def test_a_token_older_than_30_minutes_is_expired_at_the_vendor(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(kmc, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person)
    clock.advance(31 * MINUTE)
    with pytest.raises(VerificationExpired):
        _complete(kmc, start, fields, clock)


@pytest.mark.parametrize("scenario", ["token_5xx", "token_timeout"])
def test_vendor_outage_changes_nothing_and_the_same_verification_completes_later(  # R-IDV-2
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    scenario: str,
) -> None:
    start = _start(kmc, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, scenario=scenario)
    with pytest.raises(VendorUnavailable):
        _complete(kmc, start, fields, clock)
    assert _complete(kmc, start, fields, clock).name == person["name"]


def test_under_14_minor_verifies_with_guardian_fields(  # R-COL-3
    kmc: IdentityVendor,
    sim: VendorSimulator,
    kmc_key: bytes,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    today = clock.now.date()
    fourteen_tomorrow = today.replace(year=today.year - 14) + datetime.timedelta(days=1)
    person |= {"name": "이어린", "birth_date": fourteen_tomorrow}
    start = _start(kmc, clock, callback_url)
    raw = _raw_result(sim, kmc_key, start, sim.complete_at_vendor(start, **person), clock.now)
    assert raw["M_name"]
    assert raw["M_birthDay"] < raw["birthDay"]
    assert (raw["M_Gender"], raw["M_nation"]) == ("1", "0")

    start = _start(kmc, clock, callback_url)
    identity = _complete(kmc, start, sim.complete_at_vendor(start, **person), clock)
    assert identity.name == "이어린"  # the minor, not the guardian
    assert identity.birth_date == person["birth_date"]
    assert identity.is_under_14(today)
    assert not identity.is_under_14(today + datetime.timedelta(days=1))


def test_adult_has_no_guardian_fields(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    kmc_key: bytes,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(kmc, clock, callback_url)
    raw = _raw_result(sim, kmc_key, start, sim.complete_at_vendor(start, **person), clock.now)
    assert raw["M_name"] == raw["M_birthDay"] == raw["M_Gender"] == raw["M_nation"] == ""


def test_foreigner(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(kmc, clock, callback_url)
    identity = _complete(kmc, start, sim.complete_at_vendor(start, **person, foreigner=True), clock)
    assert identity.foreigner is True


def test_optional_fields_missing(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(kmc, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, scenario="minimal")
    identity = _complete(kmc, start, fields, clock)
    assert (identity.phone, identity.carrier, identity.gender, identity.foreigner) == (
        None,
        None,
        None,
        None,
    )
    assert (identity.name, identity.ci) == (person["name"], person["ci"])


# ---- the token API's answers, from a scripted vendor ----------------------------------------


def _result(cert_num: str, clock: Clock, **changes: str) -> bytes:
    fields = dict.fromkeys(RESULT_FIELDS, "")
    fields.update(
        certNum=cert_num,
        date=kst_stamp(clock.now),
        CI="C" * 88,
        phoneNo="01000000000",
        birthDay="19900101",
        name="홍길동",
        result="Y",
        certMet="M",
    )
    fields.update(changes)
    return "/".join(fields.values()).encode("euc_kr")


class ScriptedKmc:
    """A token API that answers what the test says, after opening the posted token."""

    def __init__(self, status: int, answer: Callable[[str], Any]) -> None:
        self.status, self.answer = status, answer
        self.requests: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        body = self.answer(json.loads(request.body)["apiToken"])
        return HttpResponse(
            self.status, {}, body if isinstance(body, bytes) else json.dumps(body).encode()
        )


def _scripted_flow(
    make_vendor: Callable[..., IdentityVendor],
    kmc_key: bytes,
    clock: Clock,
    status: int,
    answer: Callable[[str, str], Any],
) -> tuple[IdentityVendor, VendorStart, dict[str, str], ScriptedKmc]:
    """A KMC adapter wired to a scripted token API, and a genuine callback for it."""
    cipher = AesGcmKmcCipher(kmc_key)
    holder: dict[str, str] = {}
    transport = ScriptedKmc(status, lambda token: answer(holder["cert_num"], token))
    vendor = make_vendor("kmc", transport=transport)
    start = vendor.start(verification_id="ver-1", callback_url="https://cb.test/", now=clock.now)
    holder["cert_num"] = cert_num = start.vendor_tx_id
    fields = {
        "certNum": seal(cipher, cert_num, cert_num.encode()),
        "apiToken": seal(cipher, cert_num, b"T" * 43),
    }
    return vendor, start, fields, transport


def test_token_exchange_request_shape(
    make_vendor: Callable[..., IdentityVendor], kmc_key: bytes, clock: Clock
) -> None:
    cipher = AesGcmKmcCipher(kmc_key)
    vendor, start, fields, transport = _scripted_flow(
        make_vendor,
        kmc_key,
        clock,
        200,
        lambda cert, _token: {
            "result_cd": "APR01",
            "apiCertNum": cert,
            "apiRecCert": seal(cipher, cert, _result(cert, clock)),
        },
    )
    assert _complete(vendor, start, fields, clock).name == "홍길동"
    (request,) = transport.requests
    assert (request.method, request.url, request.timeout) == (
        "POST",
        "http://127.0.0.1:3002/_sim/kmc/token",
        20.0,
    )
    assert json.loads(request.body) == {"apiToken": "T" * 43, "apiDate": "20250301120000"}
    assert request.headers["Content-Type"] == "application/json"


def test_result_naming_another_cert_num_inside_is_tampered(  # R-IDV-2
    make_vendor: Callable[..., IdentityVendor], kmc_key: bytes, clock: Clock
) -> None:
    cipher = AesGcmKmcCipher(kmc_key)
    vendor, start, fields, _ = _scripted_flow(
        make_vendor,
        kmc_key,
        clock,
        200,
        lambda cert, _token: {
            "result_cd": "APR01",
            "apiCertNum": cert,
            "apiRecCert": seal(cipher, cert, _result("OTHER", clock)),
        },
    )
    with pytest.raises(VerificationTampered):
        _complete(vendor, start, fields, clock)


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (404, {"result_cd": "APR01"}),
        (502, b"<html>bad gateway</html>"),
        (200, b"not json"),
        (200, ["a", "list"]),
        (200, {"result_cd": "APR04"}),
        (200, {"result_cd": "APR05"}),
        (200, {"result_cd": "APR99"}),
        (200, {}),
    ],
)
def test_unexpected_token_api_answers_are_vendor_unavailable(
    make_vendor: Callable[..., IdentityVendor],
    kmc_key: bytes,
    clock: Clock,
    status: int,
    answer: Any,
) -> None:
    vendor, start, fields, _ = _scripted_flow(
        make_vendor, kmc_key, clock, status, lambda _cert, _token: answer
    )
    with pytest.raises(VendorUnavailable):
        _complete(vendor, start, fields, clock)


@pytest.mark.parametrize(
    "plain",
    [
        lambda cert, clock: _result(cert, clock, CI=""),
        lambda cert, clock: _result(cert, clock, name=""),
        lambda cert, clock: _result(cert, clock, birthDay="1990-01"),
        lambda cert, clock: _result(cert, clock, birthDay="19901350"),
        lambda cert, clock: _result(cert, clock, date="19901350"),
        lambda cert, clock: _result(cert, clock).rsplit(b"/", 1)[0],  # 17 fields
        lambda cert, clock: _result(cert, clock) + b"\xff",  # not EUC-KR
    ],
)
def test_authentic_but_malformed_results_are_vendor_unavailable(
    make_vendor: Callable[..., IdentityVendor],
    kmc_key: bytes,
    clock: Clock,
    plain: Callable[[str, Clock], bytes],
) -> None:
    cipher = AesGcmKmcCipher(kmc_key)
    vendor, start, fields, _ = _scripted_flow(
        make_vendor,
        kmc_key,
        clock,
        200,
        lambda cert, _token: {
            "result_cd": "APR01",
            "apiCertNum": cert,
            "apiRecCert": seal(cipher, cert, plain(cert, clock)),
        },
    )
    with pytest.raises(VendorUnavailable) as caught:
        _complete(vendor, start, fields, clock)
    # Nothing quoting the payload rides along in what a logger would print.
    printed = "".join(traceback.format_exception(caught.value))
    assert "홍길동" not in printed
    assert "1990" not in printed


@pytest.mark.parametrize(
    ("callback", "answer", "error"),
    [
        # A certNum KMC sealed for us that is not ours.
        ({"certNum": b"OTHER"}, {"result_cd": "APR01"}, VerificationTampered),
        # Opens, but is not text.
        ({"apiToken": b"\xff\xfe"}, {"result_cd": "APR01"}, VerificationTampered),
        # APR01 without the result.
        ({}, {"result_cd": "APR01", "apiCertNum": "OURS"}, VendorUnavailable),
    ],
)
def test_odd_values_in_the_flow(
    make_vendor: Callable[..., IdentityVendor],
    kmc_key: bytes,
    clock: Clock,
    callback: dict[str, bytes],
    answer: dict[str, str],
    error: type[PartnerCenterError],
) -> None:
    cipher = AesGcmKmcCipher(kmc_key)
    vendor, start, fields, _ = _scripted_flow(
        make_vendor,
        kmc_key,
        clock,
        200,
        lambda cert, _token: {k: cert if v == "OURS" else v for k, v in answer.items()},
    )
    fields |= {k: seal(cipher, start.vendor_tx_id, v) for k, v in callback.items()}
    with pytest.raises(error):
        _complete(vendor, start, fields, clock)


def test_unseal_refuses_a_malformed_envelope(kmc_key: bytes) -> None:
    cipher = AesGcmKmcCipher(kmc_key)
    inner = cipher.encrypt("C1", b"x")
    for envelope in (b"\xff" + inner.encode(), inner.encode(), f"{inner}/a/b/c".encode()):
        with pytest.raises(VerificationTampered):
            unseal(cipher, "C1", cipher.encrypt("C1", envelope))
    assert unseal(cipher, "C1", seal(cipher, "C1", b"x")) == b"x"


# ---- age and construction -----------------------------------------------------------------


def _identity(birth: datetime.date) -> VerifiedIdentity:
    return VerifiedIdentity(
        vendor="kmc",
        vendor_tx_id="c",
        name="n",
        phone=None,
        birth_date=birth,
        ci="ci",
        carrier=None,
        foreigner=None,
        gender=None,
        verified_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    )


@pytest.mark.parametrize(
    ("birth", "today", "under_14"),
    [
        (datetime.date(2011, 3, 2), datetime.date(2025, 3, 1), True),  # the day before
        (datetime.date(2011, 3, 1), datetime.date(2025, 3, 1), False),  # the 14th birthday
        (datetime.date(2011, 2, 28), datetime.date(2025, 3, 1), False),
        (datetime.date(2012, 2, 29), datetime.date(2026, 2, 28), True),  # leap-day birth
        (datetime.date(2012, 2, 29), datetime.date(2026, 3, 1), False),
        (datetime.date(1990, 1, 1), datetime.date(2025, 3, 1), False),
    ],
)
def test_under_14_counts_full_years(  # R-COL-3
    birth: datetime.date, today: datetime.date, under_14: bool
) -> None:
    assert _identity(birth).is_under_14(today) is under_14


def test_portone_vendor_needs_store_and_secret() -> None:
    with pytest.raises(ValueError, match="storeId and apiSecret"):
        PortOneVendor(
            store_id="",
            api_secret="s",
            request_url="https://x",
            api_base_url="https://y",
            timeout_seconds=1,
        )


def test_build_vendor_kmc(kmc_key: bytes) -> None:
    vendor = build_vendor(
        "kmc",
        secret={
            "cpId": "CP",
            "urlCode": "001",
            "cipher": "simulator",
            "cipherKey": b64url_encode(kmc_key) + "=",
        },
        request_url="https://www.kmcert.com/kmcis/web/kmcisReq.jsp",
        token_api_url="https://www.kmcert.com/kmcis/api/kmcisToken_api.jsp",
        timeout_seconds=20,
    )
    assert isinstance(vendor, KmcVendor)
    assert (vendor.name, vendor.window) == ("kmc", datetime.timedelta(minutes=30))


@pytest.mark.parametrize(
    ("name", "secret", "message"),
    [
        ("nice", {}, "unknown identity vendor"),
        ("kmc", {"urlCode": "001", "cipher": "simulator", "cipherKey": "QUFB"}, "lacks cpId"),
        (
            "kmc",
            {"cpId": "CP", "urlCode": "001", "cipher": "simulator", "cipherKey": "***"},
            "cipherKey",
        ),
        (
            "kmc",
            {"cpId": "CP", "urlCode": "001", "cipher": "simulator", "cipherKey": "QUFB"},
            "32 bytes",
        ),
        (
            "kmc",
            {
                "cpId": "C/P",
                "urlCode": "001",
                "cipher": "simulator",
                "cipherKey": b64url_encode(bytes(32)),
            },
            "/",
        ),
        ("portone", {"storeId": "s"}, "lacks apiSecret"),
    ],
)
def test_build_vendor_refuses_bad_configuration(
    name: str, secret: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        build_vendor(
            name,
            secret=secret,
            request_url="https://x",
            token_api_url="https://y",
            timeout_seconds=1,
        )
    assert "QUFB" not in str(caught.value)
