"""Identity verification through the handler, in process: moto for AWS, the vendor simulator
for KMC and PortOne (its in-process transport for the server-to-server calls)."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from werkzeug.test import Client

from local.vendor_sim import VendorSimulator
from partnercenter.clock import parse_iso, utc_now
from partnercenter.dal import verifications as verifications_dal
from partnercenter.errors import VerificationExpired, VerificationNotFound, VerificationUsed
from partnercenter.hashing import person_hash
from partnercenter.identity import vendor as identity_vendor
from partnercenter.identity.flow import complete_verification
from partnercenter.identity.verified import load_for_use
from partnercenter.policy import CURRENT_VERSION
from partnercenter.vendors.base import HttpRequest, HttpResponse
from partnercenter.vendors.kmc_cipher import b64url_decode
from tests.conftest import AwsStack
from tests.integration.member_steps import before_call
from tests.support import ApiResult, api_event, call, claims_for

FUNCTION = "identity_verification"
SIM = "http://vendor-sim.test"  # never resolved: the simulator answers in process
VENDORS = ["kmc", "portone"]
NAME, PHONE = "김철수", "01012345678"
BIRTH = datetime.date(1990, 5, 17)
CI = "Q0lfb2ZfdGhlX3Rlc3RfcGVyc29u" + "x" * 58 + "=="  # 88 characters, like a real CI
# What R-IDV-4 lets a VERIFIED record hold, beside what the PENDING record already had.
KEPT_AFTER_VERIFICATION = {"status", "verifiedAt", "under14", "personHash", "identityEnc"}
PENDING_FIELDS = {
    "verificationId",
    "purpose",
    "memberId",
    "vendor",
    "vendorTxId",
    "secretHash",
    "createdAt",
    "expiresAt",
    "expiresAtEpoch",
    "status",
}


def _simulator(aws_stack: AwsStack, *, allow_reexchange: bool = False) -> VendorSimulator:
    credentials = aws_stack.provisioned.vendor_credentials
    return VendorSimulator(
        b64url_decode(credentials["cipherKey"].rstrip("=")),
        credentials["cpId"],
        credentials["storeId"],
        credentials["apiSecret"],
        allow_reexchange=allow_reexchange,
    )


@pytest.fixture
def sim(aws_stack: AwsStack) -> VendorSimulator:
    return _simulator(aws_stack)


@dataclasses.dataclass
class LenientVendor:
    """A vendor that answers one result as often as asked (KMC lenient on retries, PortOne's
    GET), and the server-to-server calls our code made to it."""

    name: str
    sim: VendorSimulator
    calls: list[str]


@pytest.fixture(params=VENDORS)
def lenient(
    request: pytest.FixtureRequest, aws_stack: AwsStack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LenientVendor]:
    """Replay tests run against this one, so they prove our guards, not the vendor's."""
    vendor = LenientVendor(request.param, _simulator(aws_stack, allow_reexchange=True), [])

    def counting(outgoing: HttpRequest) -> HttpResponse:
        vendor.calls.append(outgoing.method)
        return vendor.sim.transport(outgoing)

    _configure(monkeypatch, vendor.name)
    with identity_vendor.vendor_transport(counting):
        yield vendor


@pytest.fixture(params=VENDORS)
def vendor(request: pytest.FixtureRequest, sim: VendorSimulator, monkeypatch) -> Iterator[str]:
    """The same handler configured for one vendor or the other (R-IDV-1)."""
    name: str = request.param
    _configure(monkeypatch, name)
    with identity_vendor.vendor_transport(sim.transport):
        yield name


def _configure(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("IDENTITY_VENDOR", name)
    monkeypatch.setenv(
        "VENDOR_REQUEST_URL",
        f"{SIM}/_sim/kmc/request" if name == "kmc" else f"{SIM}/_sim/portone/verify",
    )
    monkeypatch.setenv(
        "VENDOR_API_URL", f"{SIM}/_sim/kmc/token" if name == "kmc" else f"{SIM}/_sim/portone"
    )
    identity_vendor.reset()


# ---- the browser's part ----------------------------------------------------------------------


def start() -> dict[str, Any]:
    result = call(FUNCTION, api_event("identity-verification-start", body={"purpose": "signup"}))
    assert result.status == 201, result.body
    return dict(result.body)


def at_vendor(
    sim: VendorSimulator,
    started: dict[str, Any],
    *,
    birth: datetime.date = BIRTH,
    outcome: str = "success",
    scenario: str | None = None,
) -> dict[str, str]:
    """Post formFields plus the simulated person to actionUrl, as the browser does; the fields
    the vendor's page would post back to our callback."""
    person = {
        "simName": NAME,
        "simPhone": PHONE,
        "simBirthDate": birth.strftime("%Y%m%d"),
        "simCi": CI,
        "simOutcome": outcome,
        **({"simScenario": scenario} if scenario else {}),
    }
    response = Client(sim.wsgi_app).post(
        urlsplit(started["actionUrl"]).path,
        data={**started["formFields"], **person},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert urlsplit(answer["callbackUrl"]).path.endswith(
        f"/identity-verifications/{started['verificationId']}/callback"
    )
    return dict(answer["fields"])


def deliver(verification_id: str, fields: dict[str, str], *, as_json: bool = False) -> ApiResult:
    event = api_event(
        "identity-verification-callback",
        path_params={"verificationId": verification_id},
        raw_body=json.dumps(fields) if as_json else urlencode(fields),
    )
    if as_json:
        event["headers"]["Content-Type"] = "application/json"
    return call(FUNCTION, event)


def record(verification_id: str) -> dict[str, Any]:
    """The verification as stored: every attribute, to check what is kept."""
    from partnercenter.config import get_settings
    from partnercenter.dal.aws import client
    from partnercenter.dal.codec import from_item

    item = client("dynamodb").get_item(
        TableName=get_settings().verifications_table,
        Key={"verificationId": {"S": verification_id}},
        ConsistentRead=True,
    )["Item"]
    return from_item(item)


def _tamper(value: str) -> str:
    middle = len(value) // 2
    return value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]


# ---- success, and what is kept -----------------------------------------------------------------


def test_start_stores_a_pending_verification_and_answers_the_vendor_form(
    vendor: str, aws_stack: AwsStack
) -> None:
    started = start()
    assert started["vendor"] == vendor
    assert started["actionUrl"].startswith(SIM)
    item = record(started["verificationId"])
    assert set(item) == PENDING_FIELDS - {"memberId"}
    assert (item["status"], item["purpose"], item["vendor"]) == ("PENDING", "signup", vendor)
    # R-IDV-2: the one-time secret is stored as its hash only, and nothing the browser sends
    # to the vendor carries it.
    secret = started["verificationSecret"]
    assert len(secret) >= 43
    assert item["secretHash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(item)
    assert secret not in started["actionUrl"] + json.dumps(started["formFields"])
    created, expires = parse_iso(item["createdAt"]), parse_iso(started["expiresAt"])
    assert expires - created == datetime.timedelta(minutes=30)
    assert item["expiresAtEpoch"] == int(expires.timestamp())


# R-IDV-1: the same handler, either vendor, by configuration only.
# R-IDV-4: what a VERIFIED record keeps: time, vendor, CI hash, under-14 outcome, sealed name/phone.
def test_vendor_result_is_accepted_and_only_the_minimum_kept(
    vendor: str, sim: VendorSimulator
) -> None:
    started = start()
    result = deliver(started["verificationId"], at_vendor(sim, started))
    assert (result.status, result.body) == (
        200,
        {"verificationId": started["verificationId"], "status": "verified"},
    )
    item = record(started["verificationId"])
    assert set(item) <= PENDING_FIELDS | KEPT_AFTER_VERIFICATION
    assert item["status"] == "VERIFIED"
    assert item["under14"] is False
    assert item["personHash"] == person_hash(CI)
    opened = verifications_dal.open_identity(started["verificationId"], item["identityEnc"])
    assert (opened.name, opened.phone) == (NAME, PHONE)
    # Signup reads it as the shared verified-identity module expects.
    usable = load_for_use(started["verificationId"], "signup", parse_iso(item["verifiedAt"]))
    assert (usable.name, usable.phone, usable.vendor, usable.under14) == (
        NAME,
        PHONE,
        vendor,
        False,
    )


def test_callback_may_arrive_as_json(vendor: str, sim: VendorSimulator) -> None:
    started = start()
    result = deliver(started["verificationId"], at_vendor(sim, started), as_json=True)
    assert result.status == 200


# ---- R-IDV-2: once, fresh, intact ---------------------------------------------------------------


# R-IDV-2: a vendor result is accepted only once, by our guards even where the vendor would
# answer it again: a replay during the first delivery loses at the conditional write, a
# replay after it is refused by the state check before the vendor is asked again.
def test_replayed_callback_is_refused(lenient: LenientVendor) -> None:
    started = start()
    fields = at_vendor(lenient.sim, started)
    verification_id = started["verificationId"]
    during: list[int] = []

    def replay_now() -> None:
        try:
            complete_verification(verification_id, fields, utc_now())
            during.append(200)
        except VerificationUsed:
            during.append(409)

    with before_call("dynamodb", "UpdateItem", replay_now):
        first = deliver(verification_id, fields)
    # The replay slipped in between the first delivery's state check and its write.
    assert (during, first.status, first.body["code"]) == ([200], 409, "VERIFICATION_USED")
    asked = len(lenient.calls)
    replay = deliver(verification_id, fields)
    assert (replay.status, replay.body["code"]) == (409, "VERIFICATION_USED")
    assert len(lenient.calls) == asked


# R-IDV-2: a forged result is refused and changes nothing.
def test_tampered_callback_field_is_refused(vendor: str, sim: VendorSimulator) -> None:
    started = start()
    fields = at_vendor(sim, started)
    name = "apiToken" if vendor == "kmc" else "identityVerificationId"
    forged = deliver(started["verificationId"], {**fields, name: _tamper(fields[name])})
    assert (forged.status, forged.body["code"]) == (400, "VERIFICATION_TAMPERED")
    assert record(started["verificationId"])["status"] == "PENDING"
    # The genuine result still works: the forgery burnt nothing.
    assert deliver(started["verificationId"], fields).status == 200


# R-IDV-2: KMC's MAC must verify.
def test_kmc_result_with_a_bad_mac_is_refused(sim: VendorSimulator, monkeypatch) -> None:
    _configure(monkeypatch, "kmc")
    with identity_vendor.vendor_transport(sim.transport):
        started = start()
        result = deliver(
            started["verificationId"], at_vendor(sim, started, scenario="tampered_mac")
        )
    assert (result.status, result.body["code"]) == (400, "VERIFICATION_TAMPERED")
    assert record(started["verificationId"])["status"] == "PENDING"


# R-IDV-2: a result issued for another request (another certNum / id) is refused.
def test_result_for_another_request_is_refused(vendor: str, sim: VendorSimulator) -> None:
    started = start()
    result = deliver(started["verificationId"], at_vendor(sim, started, scenario="other_cert_num"))
    assert (result.status, result.body["code"]) == (400, "VERIFICATION_TAMPERED")


# R-IDV-2: one verification's vendor return delivered to another verification's callback.
def test_callback_of_another_verification_is_refused(vendor: str, sim: VendorSimulator) -> None:
    first, second = start(), start()
    first_fields = at_vendor(sim, first)
    result = deliver(second["verificationId"], first_fields)
    assert (result.status, result.body["code"]) == (400, "VERIFICATION_TAMPERED")
    assert record(second["verificationId"])["status"] == "PENDING"
    assert deliver(first["verificationId"], first_fields).status == 200


# R-IDV-2: a vendor result older than the vendor's 30-minute window is refused.
def test_stale_vendor_date_is_refused(vendor: str, sim: VendorSimulator) -> None:
    started = start()
    result = deliver(started["verificationId"], at_vendor(sim, started, scenario="stale_date"))
    assert (result.status, result.body["code"]) == (410, "VERIFICATION_EXPIRED")
    assert record(started["verificationId"])["status"] == "PENDING"


# R-IDV-2: a verification older than 30 minutes is expired, whatever the vendor says.
def test_verification_older_than_the_window_is_expired(vendor: str, sim: VendorSimulator) -> None:
    started = start()
    fields = at_vendor(sim, started)
    late = parse_iso(started["expiresAt"]) + datetime.timedelta(seconds=1)
    with pytest.raises(VerificationExpired):
        complete_verification(started["verificationId"], fields, late)
    assert record(started["verificationId"])["status"] == "PENDING"


# R-IDV-2: a failed or cancelled verification at the vendor is refused and changes nothing.
@pytest.mark.parametrize("outcome", ["fail", "cancel"])
def test_failed_or_cancelled_verification_is_refused(
    vendor: str, sim: VendorSimulator, outcome: str
) -> None:
    started = start()
    result = deliver(started["verificationId"], at_vendor(sim, started, outcome=outcome))
    assert (result.status, result.body["code"]) == (422, "VERIFICATION_FAILED")
    assert set(record(started["verificationId"])) == PENDING_FIELDS - {"memberId"}


# R-IDV-2: a result the vendor itself reports as already exchanged is a replay.
def test_kmc_token_already_exchanged_is_a_replay(sim: VendorSimulator, monkeypatch) -> None:
    _configure(monkeypatch, "kmc")
    with identity_vendor.vendor_transport(sim.transport):
        started = start()
        result = deliver(started["verificationId"], at_vendor(sim, started, scenario="apr06"))
    assert (result.status, result.body["code"]) == (409, "VERIFICATION_USED")
    assert record(started["verificationId"])["status"] == "PENDING"


# The vendor's 5xx or timeout is 503 with nothing changed; the verification completes afterwards.
@pytest.mark.parametrize("fault", ["token_timeout", "token_5xx"])
def test_vendor_outage_changes_nothing_and_the_verification_completes_later(
    vendor: str, sim: VendorSimulator, fault: str
) -> None:
    started = start()
    fields = at_vendor(sim, started, scenario=fault)
    down = deliver(started["verificationId"], fields)
    assert (down.status, down.body["code"]) == (503, "VENDOR_UNAVAILABLE")
    assert set(record(started["verificationId"])) == PENDING_FIELDS - {"memberId"}
    assert deliver(started["verificationId"], fields).status == 200


# R-IDV-2: 20 concurrent deliveries of one vendor result, exactly one accepted; then 20
# concurrent replays, all refused without asking the (lenient) vendor again.
def test_concurrent_deliveries_of_one_callback_accept_exactly_one(
    lenient: LenientVendor,
) -> None:
    started = start()
    fields = at_vendor(lenient.sim, started)

    def twenty_deliveries() -> list[int]:
        barrier = threading.Barrier(20, timeout=30)

        def one_delivery(_: int) -> int:
            barrier.wait()
            return deliver(started["verificationId"], fields).status

        with ThreadPoolExecutor(max_workers=20) as pool:
            return list(pool.map(one_delivery, range(20)))

    statuses = twenty_deliveries()
    assert statuses.count(200) == 1
    assert sorted(set(statuses)) == [200, 409]
    assert record(started["verificationId"])["status"] == "VERIFIED"
    asked = len(lenient.calls)
    assert twenty_deliveries() == [409] * 20
    assert len(lenient.calls) == asked


# ---- R-COL-3: under 14 --------------------------------------------------------------------------


def _birth_years_ago(years: int, *, plus_days: int = 0) -> datetime.date:
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=9))).date()
    return today.replace(year=today.year - years) + datetime.timedelta(days=plus_days)


# R-COL-3: for a child under 14 nothing of the identity is kept, only the outcome.
def test_under_14_keeps_nothing_of_the_identity(vendor: str, sim: VendorSimulator) -> None:
    started = start()
    child = _birth_years_ago(14, plus_days=1)  # turns 14 tomorrow
    assert deliver(started["verificationId"], at_vendor(sim, started, birth=child)).status == 200
    item = record(started["verificationId"])
    assert item["under14"] is True
    assert "personHash" not in item
    assert "identityEnc" not in item
    usable = load_for_use(started["verificationId"], "signup", parse_iso(item["verifiedAt"]))
    assert (usable.under14, usable.name, usable.phone, usable.person_hash) == (
        True,
        None,
        None,
        None,
    )


# R-COL-3: on the 14th birthday the person is no longer under 14.
def test_fourteenth_birthday_is_not_under_14(vendor: str, sim: VendorSimulator) -> None:
    started = start()
    deliver(started["verificationId"], at_vendor(sim, started, birth=_birth_years_ago(14)))
    item = record(started["verificationId"])
    assert item["under14"] is False
    assert item["personHash"] == person_hash(CI)


# ---- R-IDV-4 / R-SEC-3: nothing of the CI, DI, birth date, name or phone in clear --------------


def _dump_tables(aws_stack: AwsStack) -> str:
    dynamodb = aws_stack.client("dynamodb")
    dumped = []
    for table in aws_stack.provisioned.tables.values():
        pages = dynamodb.get_paginator("scan").paginate(TableName=table)
        for page in pages:
            dumped.extend(page["Items"])
    return json.dumps(dumped, ensure_ascii=False, default=repr)


# R-IDV-4, R-SEC-3: after every kind of flow, no table and no log line holds the CI, the DI,
# the raw birth date, or the name and phone in clear.
def test_no_identity_in_clear_in_any_table_or_log(
    vendor: str, sim: VendorSimulator, aws_stack: AwsStack, caplog, capsys
) -> None:
    caplog.set_level("DEBUG")
    for outcome, scenario, birth in [
        ("success", None, BIRTH),
        ("success", None, _birth_years_ago(10)),
        ("success", "stale_date", BIRTH),
        ("success", "token_5xx", BIRTH),
        ("fail", None, BIRTH),
    ]:
        started = start()
        fields = at_vendor(sim, started, outcome=outcome, scenario=scenario, birth=birth)
        deliver(started["verificationId"], fields)
        deliver(started["verificationId"], fields)
    tables, logs = _dump_tables(aws_stack), caplog.text + "".join(capsys.readouterr())
    assert '"VERIFIED"' in tables  # the scan saw the flows' records
    kmc_di = hashlib.sha256(f"{aws_stack.provisioned.vendor_credentials['cpId']}:{CI}".encode())
    secrets_in_clear = {
        "CI": CI,
        "DI": kmc_di.hexdigest(),
        "PortOne DI": hashlib.sha256(f"portone:{CI}".encode()).hexdigest(),
        "birth date": BIRTH.strftime("%Y%m%d"),
        "birth date (ISO)": BIRTH.isoformat(),
        "name": NAME,
        "phone": PHONE,
    }
    for what, value in secrets_in_clear.items():
        assert value not in tables, f"{what} stored in clear"
        assert value not in logs, f"{what} logged"


# ---- the routes' edges --------------------------------------------------------------------------


def test_unknown_verification_is_404(vendor: str) -> None:
    for verification_id in ["5f0c8a4e-1111-4222-8333-944455566677", "not-a-uuid"]:
        result = deliver(verification_id, {"certNum": "x", "apiToken": "y"})
        assert (result.status, result.body["code"]) == (404, "VERIFICATION_NOT_FOUND")


def test_start_accepts_only_the_signup_purpose(vendor: str) -> None:
    for body, field in [
        ({"purpose": "profile_change"}, "purpose"),
        ({"purpose": "signup", "ci": "x"}, "ci"),
    ]:
        result = call(FUNCTION, api_event("identity-verification-start", body=body))
        assert (result.status, result.body["code"]) == (422, "VALIDATION_FAILED")
        assert result.body["fields"] == [field]


def test_malformed_callback_body_is_422(vendor: str) -> None:
    started = start()
    result = call(
        FUNCTION,
        api_event(
            "identity-verification-callback",
            path_params={"verificationId": started["verificationId"]},
            raw_body="certNum=a&certNum=b",
        ),
    )
    assert (result.status, result.body["code"], result.body["fields"]) == (
        422,
        "VALIDATION_FAILED",
        ["certNum"],
    )


def test_verification_started_before_a_vendor_switch_expires(
    sim: VendorSimulator, monkeypatch
) -> None:
    _configure(monkeypatch, "kmc")
    with identity_vendor.vendor_transport(sim.transport):
        started = start()
        fields = at_vendor(sim, started)
        _configure(monkeypatch, "portone")
        result = deliver(started["verificationId"], fields)
    assert (result.status, result.body["code"]) == (410, "VERIFICATION_EXPIRED")


# ---- the member's route (profile change, R-RIGHT-1) ---------------------------------------------

MEMBER_ID = "5b1d6a3e-0000-4000-8000-00000000b001"


def _put_member(aws_stack: AwsStack, signed_out_at: int | None = None) -> None:
    """An active member stored as signup and approval store one."""
    from partnercenter.members.records import ACTIVE, NewMember, new_member_writes

    new_member_writes(
        NewMember(
            member_id=MEMBER_ID,
            login_id="manager.kim",
            name=NAME,
            phone=PHONE,
            person_hash=person_hash(CI),
            vendor="kmc",
            verified_at="2026-01-01T00:00:00Z",
            policy_version=CURRENT_VERSION,
            marketing=False,
            requested_at=utc_now() - datetime.timedelta(days=1),
            status=ACTIVE,
        )
    ).transaction().commit()
    if signed_out_at is not None:
        aws_stack.client("dynamodb").update_item(
            TableName=aws_stack.physical_id("MembersTable"),
            Key={"pk": {"S": f"MEMBER#{MEMBER_ID}"}, "sk": {"S": "PROFILE"}},
            UpdateExpression="SET signedOutAt = :at",
            ExpressionAttributeValues={":at": {"N": str(signed_out_at)}},
        )


def _member_start(body: Any = None) -> ApiResult:
    event = api_event("member-identity-verification-start", claims=claims_for(MEMBER_ID), body=body)
    return call(FUNCTION, event)


def test_member_verification_is_bound_to_the_caller(
    vendor: str, sim: VendorSimulator, aws_stack: AwsStack
) -> None:
    _put_member(aws_stack)
    result = _member_start()
    assert result.status == 201, result.body
    item = record(result.body["verificationId"])
    assert (item["purpose"], item["memberId"]) == ("profile_change", MEMBER_ID)
    assert deliver(result.body["verificationId"], at_vendor(sim, result.body)).status == 200
    now = parse_iso(record(result.body["verificationId"])["verifiedAt"])
    # Bound by the member's id, not by the secret: another member cannot use it.
    with pytest.raises(VerificationNotFound):
        load_for_use(result.body["verificationId"], "profile_change", now, member_id="other")
    usable = load_for_use(result.body["verificationId"], "profile_change", now, member_id=MEMBER_ID)
    assert usable.phone == PHONE


def test_member_route_refuses_ended_sessions_and_extra_fields(
    vendor: str, aws_stack: AwsStack
) -> None:
    assert _member_start().body["code"] == "UNAUTHORIZED"  # no member record (withdrawn)
    _put_member(aws_stack, signed_out_at=1795000001)  # signed out after the token
    result = _member_start()
    assert (result.status, result.body["code"]) == (401, "UNAUTHORIZED")
    result = _member_start(body={"phone": PHONE})
    assert (result.status, result.body["fields"]) == (422, ["phone"])
    assert PHONE not in json.dumps(result.body)
