"""PortOne V2 adapter, against the simulator in process (no sockets)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    HttpRequest,
    HttpResponse,
    IdentityVendor,
    PortOneVendor,
    VendorStart,
    VerifiedIdentity,
)

from .conftest import API_SECRET, STORE_ID, Clock

MINUTE = datetime.timedelta(minutes=1)


def _start(vendor: IdentityVendor, clock: Clock, callback_url: str) -> VendorStart:
    return vendor.start(verification_id="ver-1", callback_url=callback_url, now=clock.now)


def _complete(
    vendor: IdentityVendor, start: VendorStart, fields: dict[str, str], clock: Clock
) -> VerifiedIdentity:
    return vendor.complete(vendor_tx_id=start.vendor_tx_id, callback=fields, now=clock.now)


def test_start_names_a_fresh_id_and_the_redirect(
    portone: IdentityVendor, clock: Clock, callback_url: str
) -> None:
    start = _start(portone, clock, callback_url)
    assert start.action_url.endswith("/_sim/portone/verify")
    assert start.form_fields == {
        "storeId": STORE_ID,
        "identityVerificationId": start.vendor_tx_id,
        "redirectUrl": callback_url,
    }
    assert start.vendor_tx_id.startswith("iv-")
    assert len({_start(portone, clock, callback_url).vendor_tx_id for _ in range(50)}) == 50


def test_success_asks_the_api_with_the_secret(  # R-IDV-1, R-IDV-3 (the values to match)
    make_vendor: Callable[..., IdentityVendor],
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    sent: list[HttpRequest] = []

    def recording(request: HttpRequest) -> HttpResponse:
        sent.append(request)
        return sim.transport(request)

    portone = make_vendor("portone", transport=recording)
    start = _start(portone, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, gender="female")
    assert fields == {"identityVerificationId": start.vendor_tx_id}
    identity = _complete(portone, start, fields, clock)

    assert (identity.vendor, identity.vendor_tx_id) == ("portone", start.vendor_tx_id)
    assert (identity.name, identity.phone) == ("김철수", "01012345678")
    assert identity.birth_date == datetime.date(1990, 5, 17)
    assert identity.ci == person["ci"]
    assert (identity.carrier, identity.foreigner, identity.gender) == ("SKT", False, "female")
    assert identity.verified_at == clock.now
    assert "김철수" not in repr(identity)

    (request,) = sent
    url = urlsplit(request.url)
    assert request.method == "GET"
    assert url.path == f"/_sim/portone/identity-verifications/{start.vendor_tx_id}"
    assert parse_qs(url.query) == {"storeId": [STORE_ID]}
    assert request.headers["Authorization"] == f"PortOne {API_SECRET}"


@pytest.mark.parametrize("outcome", ["fail", "cancel"])
def test_failed_or_cancelled_verification_is_refused(  # R-IDV-2
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    outcome: str,
) -> None:
    start = _start(portone, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, outcome=outcome)
    with pytest.raises(VerificationFailed):
        _complete(portone, start, fields, clock)


@pytest.mark.parametrize(
    "callback",
    [{}, {"identityVerificationId": "iv-someone-else"}, {"identityVerificationId": ""}],
)
def test_a_return_naming_another_id_is_tampered(  # R-IDV-2
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    callback: dict[str, str],
) -> None:
    start = _start(portone, clock, callback_url)
    genuine = sim.complete_at_vendor(start, **person)
    with pytest.raises(VerificationTampered):
        _complete(portone, start, callback, clock)
    assert _complete(portone, start, genuine, clock).name == person["name"]


def test_another_requests_id_from_the_vendor_is_tampered(  # R-IDV-2
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(portone, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, scenario="other_cert_num")
    with pytest.raises(VerificationTampered):
        _complete(portone, start, fields, clock)


@pytest.mark.parametrize(
    ("skew", "error"),
    [
        (-31 * MINUTE, VerificationExpired),
        (-29 * MINUTE, None),
        (4 * MINUTE, None),
        (10 * MINUTE, VerificationExpired),
    ],
)
def test_verified_at_must_be_within_the_window(  # R-IDV-2
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    skew: datetime.timedelta,
    error: type[PartnerCenterError] | None,
) -> None:
    start = _start(portone, clock, callback_url)
    clock.advance(skew)
    fields = sim.complete_at_vendor(start, **person)
    clock.advance(-skew)
    if error is None:
        assert _complete(portone, start, fields, clock).verified_at == clock.now + skew
    else:
        with pytest.raises(error):
            _complete(portone, start, fields, clock)


def test_stale_scenario_is_expired(  # R-IDV-2
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(portone, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, scenario="stale_date")
    with pytest.raises(VerificationExpired):
        _complete(portone, start, fields, clock)


def test_an_id_never_taken_to_the_vendor_is_not_verified(
    portone: IdentityVendor, clock: Clock, callback_url: str
) -> None:
    start = _start(portone, clock, callback_url)
    with pytest.raises(VerificationFailed):
        _complete(portone, start, {"identityVerificationId": start.vendor_tx_id}, clock)


@pytest.mark.parametrize("scenario", ["token_5xx", "token_timeout"])
def test_vendor_outage_changes_nothing_and_the_same_verification_completes_later(  # R-IDV-2
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    scenario: str,
) -> None:
    start = _start(portone, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, scenario=scenario)
    with pytest.raises(VendorUnavailable):
        _complete(portone, start, fields, clock)
    assert _complete(portone, start, fields, clock).name == person["name"]


@pytest.mark.parametrize(
    "secret",
    [
        {"storeId": STORE_ID, "apiSecret": "wrong"},  # 401
        {"storeId": "another-store", "apiSecret": API_SECRET},  # 403
    ],
)
def test_unauthorized_or_forbidden_is_vendor_unavailable(
    make_vendor: Callable[..., IdentityVendor],
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
    secret: dict[str, str],
) -> None:
    start = _start(portone, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person)
    with pytest.raises(VendorUnavailable):
        _complete(make_vendor("portone", secret=secret), start, fields, clock)


def test_under_14(  # R-COL-3
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    today = clock.now.date()
    person["birth_date"] = today.replace(year=today.year - 14) + datetime.timedelta(days=1)
    start = _start(portone, clock, callback_url)
    identity = _complete(portone, start, sim.complete_at_vendor(start, **person), clock)
    assert identity.is_under_14(today)
    assert not identity.is_under_14(today + datetime.timedelta(days=1))


def test_foreigner(
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(portone, clock, callback_url)
    fields = sim.complete_at_vendor(start, **person, foreigner=True)
    assert _complete(portone, start, fields, clock).foreigner is True


def test_optional_fields_missing(
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    callback_url: str,
    person: dict[str, Any],
) -> None:
    start = _start(portone, clock, callback_url)
    identity = _complete(
        portone, start, sim.complete_at_vendor(start, **person, scenario="minimal"), clock
    )
    assert (identity.phone, identity.carrier, identity.gender, identity.foreigner) == (
        None,
        None,
        None,
        None,
    )
    assert (identity.name, identity.ci) == (person["name"], person["ci"])


# ---- the API's answers, from a scripted vendor --------------------------------------------


def _verified(tx_id: str, clock: Clock, **customer_changes: Any) -> dict[str, Any]:
    customer = {"name": "홍길동", "birthDate": "1990-01-01", "ci": "C" * 88}
    customer.update(customer_changes)
    return {
        "id": tx_id,
        "status": "VERIFIED",
        "verifiedCustomer": {k: v for k, v in customer.items() if v is not None},
        "verifiedAt": clock.now.isoformat(),
    }


def _scripted(
    make_vendor: Callable[..., IdentityVendor],
    clock: Clock,
    status: int,
    answer: Callable[[str], Any],
) -> tuple[IdentityVendor, VendorStart]:
    holder: dict[str, str] = {}

    def transport(_request: HttpRequest) -> HttpResponse:
        body = answer(holder["id"])
        return HttpResponse(
            status, {}, body if isinstance(body, bytes) else json.dumps(body).encode()
        )

    vendor = make_vendor("portone", transport=transport)
    start = vendor.start(verification_id="ver-1", callback_url="https://cb.test/", now=clock.now)
    holder["id"] = start.vendor_tx_id
    return vendor, start


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (409, {"type": "IDENTITY_VERIFICATION_ALREADY_VERIFIED"}, VerificationUsed),
        (409, {"type": "IDENTITY_VERIFICATION_ALREADY_SENT"}, VerificationUsed),
        (400, {"type": "IDENTITY_VERIFICATION_NOT_SENT"}, VerificationFailed),
        (404, {"type": "IDENTITY_VERIFICATION_NOT_FOUND"}, VerificationFailed),
        (400, {"type": "INVALID_REQUEST"}, VendorUnavailable),
        (429, {"type": "MAX_TRANSACTION_COUNT_REACHED"}, VendorUnavailable),
        (400, {"type": "PG_PROVIDER", "pgCode": "X"}, VendorUnavailable),
        (401, {"type": "UNAUTHORIZED"}, VendorUnavailable),
        (403, {"type": "FORBIDDEN"}, VendorUnavailable),
        (500, {"type": "IDENTITY_VERIFICATION_ALREADY_VERIFIED"}, VendorUnavailable),
        (503, b"Service Unavailable", VendorUnavailable),
        (404, b"<html>not found</html>", VendorUnavailable),
        (200, b"not json", VendorUnavailable),
        (200, {"status": "CANCELLED"}, VendorUnavailable),
    ],
)
def test_api_errors_are_mapped(
    make_vendor: Callable[..., IdentityVendor],
    clock: Clock,
    status: int,
    answer: Any,
    error: type[PartnerCenterError],
) -> None:
    vendor, start = _scripted(make_vendor, clock, status, lambda _id: answer)
    with pytest.raises(error):
        _complete(vendor, start, {"identityVerificationId": start.vendor_tx_id}, clock)


def test_an_answer_about_another_id_is_tampered(  # R-IDV-2
    make_vendor: Callable[..., IdentityVendor], clock: Clock
) -> None:
    vendor, start = _scripted(make_vendor, clock, 200, lambda _id: _verified("iv-other", clock))
    with pytest.raises(VerificationTampered):
        _complete(vendor, start, {"identityVerificationId": start.vendor_tx_id}, clock)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda a: a.pop("verifiedCustomer"),
        lambda a: a.pop("verifiedAt"),
        lambda a: a.update(verifiedAt="2025-03-01T03:00:00"),  # no zone
        lambda a: a.update(verifiedAt="yesterday"),
        lambda a: a["verifiedCustomer"].pop("ci"),
        lambda a: a["verifiedCustomer"].pop("birthDate"),
        lambda a: a["verifiedCustomer"].update(birthDate="1990-13-01"),
        lambda a: a["verifiedCustomer"].update(name=""),
    ],
)
def test_verified_answers_lacking_what_we_need_are_vendor_unavailable(
    make_vendor: Callable[..., IdentityVendor], clock: Clock, mangle: Callable[[Any], Any]
) -> None:
    def answer(tx_id: str) -> dict[str, Any]:
        verified = _verified(tx_id, clock)
        mangle(verified)
        return verified

    vendor, start = _scripted(make_vendor, clock, 200, answer)
    with pytest.raises(VendorUnavailable) as caught:
        _complete(vendor, start, {"identityVerificationId": start.vendor_tx_id}, clock)
    assert caught.value.__cause__ is None


def test_unknown_optional_values_normalise_to_none(
    make_vendor: Callable[..., IdentityVendor], clock: Clock
) -> None:
    vendor, start = _scripted(
        make_vendor,
        clock,
        200,
        lambda tx_id: _verified(
            tx_id, clock, gender="OTHER", isForeigner="no", phoneNumber="", operator=None
        ),
    )
    identity = _complete(vendor, start, {"identityVerificationId": start.vendor_tx_id}, clock)
    assert (identity.gender, identity.foreigner, identity.phone, identity.carrier) == (
        None,
        None,
        None,
        None,
    )
    assert isinstance(vendor, PortOneVendor)
    assert vendor.window == datetime.timedelta(minutes=30)
