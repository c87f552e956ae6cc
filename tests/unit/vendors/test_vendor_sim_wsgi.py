"""The simulator over WSGI, the default urllib transport over loopback, and both vendors
driven through the ``IdentityVendor`` protocol only."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from local.vendor_sim import VendorSimulator
from partnercenter.errors import (
    PartnerCenterError,
    VendorUnavailable,
    VerificationExpired,
    VerificationFailed,
    VerificationTampered,
)
from partnercenter.vendors import (
    AesGcmKmcCipher,
    HttpRequest,
    IdentityVendor,
    VendorStart,
    urllib_transport,
)
from partnercenter.vendors.kmc import SITE_KEY, kst_stamp, seal, unseal
from partnercenter.vendors.kmc_cipher import b64url_encode

from .conftest import API_SECRET, KMC_CP_ID, STORE_ID, Clock

JSON = {"Accept": "application/json"}
PREFIX = "/vendor-sim"  # wherever the local stack mounts it; routes match on suffixes


def _sim_fields(person: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "simName": person["name"],
        "simPhone": person["phone"],
        "simBirthDate": person["birth_date"].strftime("%Y%m%d"),
        "simCi": person["ci"],
        **extra,
    }


def _at_vendor(
    client: Client, start: VendorStart, fields: dict[str, str], headers: dict[str, str] | None
) -> Any:
    path = PREFIX + urlsplit(start.action_url).path
    return client.post(path, data={**start.form_fields, **fields}, headers=headers or {})


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.onload = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values["action"]
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values["value"]
        elif tag == "body":
            self.onload = values.get("onload", "")


# ---- the browser-facing routes ------------------------------------------------------------


@pytest.mark.parametrize("vendor_name", ["kmc", "portone"])
def test_vendor_page_answers_with_an_auto_submitting_form(
    make_vendor: Callable[..., IdentityVendor],
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    vendor_name: str,
) -> None:
    vendor = make_vendor(vendor_name)
    callback = 'https://api.test/identity-verifications/v-1/callback?a=1&b="x"'
    start = vendor.start(verification_id="v-1", callback_url=callback, now=clock.now)
    response = _at_vendor(Client(sim.wsgi_app), start, _sim_fields(person), None)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = _FormParser()
    page.feed(response.get_data(as_text=True))
    assert page.action == callback  # escaped in the page, exact once parsed
    assert "submit()" in page.onload
    identity = vendor.complete(vendor_tx_id=start.vendor_tx_id, callback=page.fields, now=clock.now)
    assert identity.name == person["name"]


@pytest.mark.parametrize("vendor_name", ["kmc", "portone"])
def test_vendor_page_answers_json_when_asked(
    make_vendor: Callable[..., IdentityVendor],
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
    vendor_name: str,
) -> None:
    vendor = make_vendor(vendor_name)
    start = vendor.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    response = _at_vendor(Client(sim.wsgi_app), start, _sim_fields(person), JSON)
    assert response.status_code == 200
    body = response.get_json()
    assert body["callbackUrl"] == callback_url
    expected = {"certNum", "apiToken"} if vendor_name == "kmc" else {"identityVerificationId"}
    assert set(body["fields"]) == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tr_cert": "garbage"}, "tr_cert"),
        ({"tr_ver": "V1"}, "tr_ver"),
        ({"tr_url": "javascript:alert(1)"}, "tr_url"),
        ({"simName": ""}, "simName"),
        ({"simBirthDate": "1990-05-17"}, "simBirthDate"),
        ({"simBirthDate": "19901350"}, "simBirthDate"),
        ({"simOutcome": "maybe"}, "simOutcome"),
        ({"simScenario": "meteor"}, "simScenario"),
        ({"simGender": "x"}, "simGender"),
        ({"simName": "a/b"}, "name"),
        ({"simName": "\U0001f600"}, "simName"),  # not representable in EUC-KR
    ],
)
def test_kmc_page_refuses_what_kmc_would_refuse(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
    change: dict[str, str],
    field: str,
) -> None:
    start = kmc.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    client = Client(sim.wsgi_app)
    response = client.post(
        "/_sim/kmc/request", data={**start.form_fields, **_sim_fields(person), **change}
    )
    assert response.status_code == 400
    assert field in response.get_json()["message"]


def test_kmc_page_checks_the_cp_id(
    make_vendor: Callable[..., IdentityVendor],
    kmc_key: bytes,
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
) -> None:
    stranger = make_vendor(
        "kmc",
        secret={
            "cpId": "OTHERCP",
            "urlCode": "1",
            "cipher": "simulator",
            "cipherKey": b64url_encode(kmc_key),
        },
    )
    start = stranger.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    response = _at_vendor(Client(sim.wsgi_app), start, _sim_fields(person), JSON)
    assert response.status_code == 400
    assert "cpId" in response.get_json()["message"]


def test_portone_page_checks_store_and_refuses_a_reused_id(
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
) -> None:
    client = Client(sim.wsgi_app)
    start = portone.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    assert _at_vendor(client, start, _sim_fields(person), JSON).status_code == 200
    assert _at_vendor(client, start, _sim_fields(person), JSON).status_code == 400
    wrong_store = {**_sim_fields(person), "storeId": "nope"}
    fresh = portone.start(verification_id="v-2", callback_url=callback_url, now=clock.now)
    assert _at_vendor(client, fresh, wrong_store, JSON).status_code == 400
    apr = {**_sim_fields(person), "simScenario": "apr02"}  # a KMC-only scenario
    assert _at_vendor(client, fresh, apr, JSON).status_code == 400


def test_unknown_route_is_404(sim: VendorSimulator) -> None:
    assert Client(sim.wsgi_app).get("/_sim/kmc/request").status_code == 404


# ---- the server-to-server routes ----------------------------------------------------------


def _kmc_token(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    kmc_key: bytes,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
    **extra: str,
) -> str:
    start = kmc.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    answer = _at_vendor(Client(sim.wsgi_app), start, _sim_fields(person, **extra), JSON)
    sealed = answer.get_json()["fields"]["apiToken"]
    return unseal(AesGcmKmcCipher(kmc_key), start.vendor_tx_id, sealed).decode()


def test_kmc_token_route_exchanges_a_token_once(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    kmc_key: bytes,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
) -> None:
    token = _kmc_token(kmc, sim, kmc_key, clock, person, callback_url)
    client = Client(sim.wsgi_app)

    def exchange(body: Any) -> Any:
        return client.post(PREFIX + "/_sim/kmc/token", json=body)

    date = kst_stamp(clock.now)
    assert exchange({"apiToken": token, "apiDate": "2025-03-01"}).get_json()["result_cd"] == "APR04"
    assert exchange({"apiToken": "short", "apiDate": date}).get_json()["result_cd"] == "APR05"
    assert exchange({"apiToken": "x" * 43, "apiDate": date}).get_json()["result_cd"] == "APR03"
    first = exchange({"apiToken": token, "apiDate": date}).get_json()
    assert first["result_cd"] == "APR01"
    assert first["apiCertNum"]
    assert first["apiRecCert"]
    assert exchange({"apiToken": token, "apiDate": date}).get_json() == {
        "result_cd": "APR06",
        "apiCertNum": "",
        "apiRecCert": "",
    }
    assert exchange(["not", "an", "object"]).status_code == 400
    assert client.post("/_sim/kmc/token", data=b"{").status_code == 400


def test_kmc_token_route_fails_once_with_500(
    kmc: IdentityVendor,
    sim: VendorSimulator,
    kmc_key: bytes,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
) -> None:
    token = _kmc_token(kmc, sim, kmc_key, clock, person, callback_url, simScenario="token_5xx")
    client = Client(sim.wsgi_app)
    body = {"apiToken": token, "apiDate": kst_stamp(clock.now)}
    assert client.post("/_sim/kmc/token", json=body).status_code == 500
    assert client.post("/_sim/kmc/token", json=body).get_json()["result_cd"] == "APR01"


def test_kmc_token_route_sleeps_on_timeout_then_answers_504(
    kmc_key: bytes,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
    make_vendor: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = VendorSimulator(
        kmc_key, KMC_CP_ID, STORE_ID, API_SECRET, clock=clock, timeout_sleep_seconds=0.05
    )
    kmc = make_vendor("kmc", transport=sim.transport)
    token = _kmc_token(kmc, sim, kmc_key, clock, person, callback_url, simScenario="token_timeout")
    client = Client(sim.wsgi_app)
    body = {"apiToken": token, "apiDate": kst_stamp(clock.now)}
    slept: list[float] = []  # what the route slept, not how long the test took
    monkeypatch.setattr("local.vendor_sim.time.sleep", slept.append)
    assert client.post("/_sim/kmc/token", json=body).status_code == 504
    assert slept == [0.05]
    assert client.post("/_sim/kmc/token", json=body).get_json()["result_cd"] == "APR01"


def test_portone_get_route(
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
) -> None:
    start = portone.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    client = Client(sim.wsgi_app)
    _at_vendor(client, start, _sim_fields(person, simForeigner="1"), JSON)
    path = f"{PREFIX}/_sim/portone/identity-verifications/{start.vendor_tx_id}"
    auth = {"Authorization": f"PortOne {API_SECRET}"}

    ok = client.get(path, query_string={"storeId": STORE_ID}, headers=auth).get_json()
    assert ok["status"] == "VERIFIED"
    assert ok["id"] == start.vendor_tx_id
    assert ok["verifiedCustomer"]["isForeigner"] is True
    assert ok["verifiedCustomer"]["birthDate"] == "1990-05-17"
    assert ok["verifiedAt"] == "2025-03-01T03:00:00.000Z"

    assert client.get(path, query_string={"storeId": STORE_ID}).status_code == 401
    forbidden = client.get(path, query_string={"storeId": "other"}, headers=auth)
    assert forbidden.get_json()["type"] == "FORBIDDEN"
    missing = client.get(
        "/_sim/portone/identity-verifications/iv-unknown",
        query_string={"storeId": STORE_ID},
        headers=auth,
    )
    assert (missing.status_code, missing.get_json()["type"]) == (
        404,
        "IDENTITY_VERIFICATION_NOT_FOUND",
    )


def test_in_process_transport_only_reaches_the_server_to_server_routes(
    sim: VendorSimulator,
) -> None:
    with pytest.raises(VendorUnavailable):
        sim.transport(HttpRequest("POST", "http://sim.test/_sim/kmc/request", {}, b"", 1.0))


# ---- over a real socket, with the default urllib transport ---------------------------------


@pytest.fixture
def served(kmc_key: bytes, clock: Clock) -> Iterator[tuple[VendorSimulator, str]]:
    """The simulator behind a loopback HTTP server that sleeps 0.5 s on timeouts."""
    sim = VendorSimulator(
        kmc_key, KMC_CP_ID, STORE_ID, API_SECRET, clock=clock, timeout_sleep_seconds=0.5
    )
    server = make_server("127.0.0.1", 0, sim.wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sim, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.parametrize("vendor_name", ["kmc", "portone"])
@pytest.mark.parametrize("scenario", ["token_timeout", "token_5xx"])
def test_urllib_transport_turns_timeouts_and_5xx_into_vendor_unavailable(  # R-IDV-2
    make_vendor: Callable[..., IdentityVendor],
    served: tuple[VendorSimulator, str],
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
    vendor_name: str,
    scenario: str,
) -> None:
    sim, base = served
    api = f"{base}/_sim/kmc/token" if vendor_name == "kmc" else f"{base}/_sim/portone"
    vendor = make_vendor(
        vendor_name, token_api_url=api, timeout_seconds=0.1, transport=urllib_transport
    )
    start = vendor.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    fields = sim.complete_at_vendor(start, **person, scenario=scenario)
    with pytest.raises(VendorUnavailable):
        vendor.complete(vendor_tx_id=start.vendor_tx_id, callback=fields, now=clock.now)
    identity = vendor.complete(vendor_tx_id=start.vendor_tx_id, callback=fields, now=clock.now)
    assert identity.name == person["name"]


def test_urllib_transport_refused_connection_and_bad_scheme() -> None:
    with make_server("127.0.0.1", 0, lambda _e, _s: []) as server:
        port = server.server_port  # bound, then closed: nothing listens there
    with pytest.raises(VendorUnavailable):
        urllib_transport(HttpRequest("GET", f"http://127.0.0.1:{port}/", {}, b"", 1.0))
    with pytest.raises(ValueError, match="http"):
        urllib_transport(HttpRequest("GET", "file:///etc/passwd", {}, b"", 1.0))


# ---- both vendors, through the protocol only ----------------------------------------------


TODAY = datetime.date(2025, 3, 1)
MINOR_BIRTH = datetime.date(2011, 3, 2)  # 14 tomorrow


@pytest.mark.parametrize("vendor_name", ["kmc", "portone"])
@pytest.mark.parametrize(
    ("sim_extra", "error"),
    [
        ({"simOutcome": "fail"}, VerificationFailed),
        ({"simOutcome": "cancel"}, VerificationFailed),
        ({"simScenario": "other_cert_num"}, VerificationTampered),
        ({"simScenario": "stale_date"}, VerificationExpired),
    ],
)
def test_both_vendors_refuse_the_same_way(  # R-IDV-1, R-IDV-2
    make_vendor: Callable[..., IdentityVendor],
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
    vendor_name: str,
    sim_extra: dict[str, str],
    error: type[PartnerCenterError],
) -> None:
    vendor: IdentityVendor = make_vendor(vendor_name)
    start = vendor.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    answer = _at_vendor(Client(sim.wsgi_app), start, _sim_fields(person, **sim_extra), JSON)
    with pytest.raises(error):
        vendor.complete(
            vendor_tx_id=start.vendor_tx_id, callback=answer.get_json()["fields"], now=clock.now
        )


@pytest.mark.parametrize("vendor_name", ["kmc", "portone"])
@pytest.mark.parametrize(
    ("sim_extra", "expected"),
    [
        ({}, {"foreigner": False, "carrier": "SKT", "under_14": False}),
        ({"simForeigner": "1"}, {"foreigner": True}),
        ({"simScenario": "minimal"}, {"foreigner": None, "carrier": None, "phone": None}),
        ({"simScenario": "token_5xx"}, {"outage_first": True}),
        ({"simScenario": "token_timeout"}, {"outage_first": True}),
        ({"simBirthDate": MINOR_BIRTH.strftime("%Y%m%d")}, {"under_14": True}),  # R-COL-3
        ({"simGender": "female"}, {"gender": "female"}),
    ],
)
def test_both_vendors_verify_the_same_way(  # R-IDV-1, R-COL-3
    make_vendor: Callable[..., IdentityVendor],
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
    vendor_name: str,
    sim_extra: dict[str, str],
    expected: dict[str, Any],
) -> None:
    vendor: IdentityVendor = make_vendor(vendor_name)
    assert vendor.window == datetime.timedelta(minutes=30)
    start = vendor.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    answer = _at_vendor(Client(sim.wsgi_app), start, _sim_fields(person, **sim_extra), JSON)
    fields = answer.get_json()["fields"]
    expected = dict(expected)
    if expected.pop("outage_first", False):
        with pytest.raises(VendorUnavailable):
            vendor.complete(vendor_tx_id=start.vendor_tx_id, callback=fields, now=clock.now)
    identity = vendor.complete(vendor_tx_id=start.vendor_tx_id, callback=fields, now=clock.now)
    assert identity.vendor == vendor_name
    assert identity.vendor_tx_id == start.vendor_tx_id
    assert identity.name == person["name"]
    assert identity.ci == person["ci"]
    assert identity.verified_at == clock.now
    if "under_14" in expected:
        assert identity.is_under_14(TODAY) is expected.pop("under_14")
    for attribute, value in expected.items():
        assert getattr(identity, attribute) == value


@pytest.mark.parametrize(
    "plain",
    [
        "a/b",  # too few fields
        f"{KMC_CP_ID}/001001/CERT1/20250301120000/X///////v-1/{'0' * 16}",  # certMet not M
        f"{KMC_CP_ID}/001001//20250301120000/M///////v-1/{'0' * 16}",  # no certNum
    ],
)
def test_kmc_page_refuses_a_malformed_tr_cert(
    sim: VendorSimulator, kmc_key: bytes, person: dict[str, Any], callback_url: str, plain: str
) -> None:
    tr_cert = seal(AesGcmKmcCipher(kmc_key), SITE_KEY, plain.encode())
    form = {"tr_cert": tr_cert, "tr_url": callback_url, "tr_add": "N", "tr_ver": "V2"}
    response = Client(sim.wsgi_app).post("/_sim/kmc/request", data={**form, **_sim_fields(person)})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "change", [{"simOutcome": "maybe"}, {"identityVerificationId": "has space"}]
)
def test_portone_page_refuses_bad_fields(
    portone: IdentityVendor,
    sim: VendorSimulator,
    clock: Clock,
    person: dict[str, Any],
    callback_url: str,
    change: dict[str, str],
) -> None:
    start = portone.start(verification_id="v-1", callback_url=callback_url, now=clock.now)
    fields = {**_sim_fields(person), **change}
    assert _at_vendor(Client(sim.wsgi_app), start, fields, JSON).status_code == 400


def test_default_clock_is_the_real_time(
    kmc_key: bytes, person: dict[str, Any], callback_url: str, make_vendor: Any
) -> None:
    sim = VendorSimulator(kmc_key, KMC_CP_ID, STORE_ID, API_SECRET)
    vendor = make_vendor("kmc", transport=sim.transport)
    now = datetime.datetime.now(datetime.UTC)
    start = vendor.start(verification_id="v-1", callback_url=callback_url, now=now)
    fields = sim.complete_at_vendor(start, **person)
    identity = vendor.complete(vendor_tx_id=start.vendor_tx_id, callback=fields, now=now)
    assert abs(identity.verified_at - now) < datetime.timedelta(minutes=1)
