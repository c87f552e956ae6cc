"""Identity verification over the local stack: the browser's round trip through the simulated
KMC (the stack's default vendor) and back to our callback, over HTTP."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

NAME, PHONE, BIRTH = "이영희", "01098765432", "19880302"
CI = "RTJFX2lkZW50aXR5X2NoZWNr" + "q" * 62 + "=="  # 88 characters, like a real CI


class Flow:
    """The browser: start, the vendor's page, the vendor's return to our callback."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url

    @staticmethod
    def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw)

    def start(self) -> dict[str, Any]:
        status, body = self.post(
            f"{self.api_url}/identity-verifications",
            json.dumps({"purpose": "signup"}).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 201, body
        return dict(body)

    def at_vendor(self, started: dict[str, Any], **sim: str) -> tuple[str, dict[str, str]]:
        """Post formFields and the simulated person to actionUrl; the callback URL and fields."""
        person = {"simName": NAME, "simPhone": PHONE, "simBirthDate": BIRTH, "simCi": CI}
        status, body = self.post(
            started["actionUrl"],
            urlencode({**started["formFields"], **person, **sim}).encode(),
            {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 200, body
        return body["callbackUrl"], dict(body["fields"])

    def deliver(self, callback_url: str, fields: dict[str, str]) -> tuple[int, Any]:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.post(callback_url, urlencode(fields).encode(), form)


@pytest.fixture(scope="module")
def flow(local_stack: LocalStack) -> Flow:
    return Flow(local_stack.api_url)


# R-IDV-1, R-IDV-2: accepted once; the same vendor result again is a replay.
def test_vendor_result_is_accepted_once(flow: Flow) -> None:
    started = flow.start()
    callback_url, fields = flow.at_vendor(started)
    assert callback_url == (
        f"{flow.api_url}/identity-verifications/{started['verificationId']}/callback"
    )
    assert flow.deliver(callback_url, fields) == (
        200,
        {"verificationId": started["verificationId"], "status": "verified"},
    )
    status, body = flow.deliver(callback_url, fields)
    assert (status, body["code"]) == (409, "VERIFICATION_USED")


# R-IDV-2: forged, foreign, stale, failed and cancelled results are refused.
@pytest.mark.parametrize(
    ("sim", "expected"),
    [
        ({"simScenario": "tampered_mac"}, (400, "VERIFICATION_TAMPERED")),
        ({"simScenario": "stale_date"}, (410, "VERIFICATION_EXPIRED")),
        ({"simOutcome": "fail"}, (422, "VERIFICATION_FAILED")),
        ({"simOutcome": "cancel"}, (422, "VERIFICATION_FAILED")),
    ],
)
def test_bad_vendor_results_are_refused(
    flow: Flow, sim: dict[str, str], expected: tuple[int, str]
) -> None:
    callback_url, fields = flow.at_vendor(flow.start(), **sim)
    status, body = flow.deliver(callback_url, fields)
    assert (status, body["code"]) == expected


# R-IDV-2: a changed field, or another verification's certNum, fails the integrity check.
def test_tampered_field_or_another_certnum_is_refused(flow: Flow) -> None:
    callback_url, fields = flow.at_vendor(flow.start())
    token = fields["apiToken"]
    forged = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    status, body = flow.deliver(callback_url, {**fields, "apiToken": forged})
    assert (status, body["code"]) == (400, "VERIFICATION_TAMPERED")
    other_callback_url, _ = flow.at_vendor(flow.start())
    status, body = flow.deliver(other_callback_url, fields)
    assert (status, body["code"]) == (400, "VERIFICATION_TAMPERED")
    assert flow.deliver(callback_url, fields)[0] == 200  # the refusals changed nothing


# The token exchange times out: 503, nothing changed; a fresh vendor round then succeeds.
def test_vendor_timeout_leaves_the_verification_usable(flow: Flow) -> None:
    started = flow.start()
    callback_url, fields = flow.at_vendor(started, simScenario="token_timeout")
    status, body = flow.deliver(callback_url, fields)
    assert (status, body["code"]) == (503, "VENDOR_UNAVAILABLE")
    callback_url, fields = flow.at_vendor(started)
    assert flow.deliver(callback_url, fields)[0] == 200


# R-IDV-2: 20 concurrent deliveries of one callback, exactly one accepted.
def test_concurrent_deliveries_accept_exactly_one(flow: Flow) -> None:
    callback_url, fields = flow.at_vendor(flow.start())
    barrier = threading.Barrier(20, timeout=30)

    def one_delivery(_: int) -> int:
        barrier.wait()
        return flow.deliver(callback_url, fields)[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(one_delivery, range(20)))
    assert sorted(statuses) == [200] + [409] * 19


# R-IDV-4, R-SEC-3: after a verification (and the flows above), no log line of the stack or its
# functions holds the CI, the raw birth date, the name or the phone.
def test_no_identity_in_the_stack_log(flow: Flow, local_stack: LocalStack) -> None:
    callback_url, fields = flow.at_vendor(flow.start())
    assert flow.deliver(callback_url, fields)[0] == 200
    log = local_stack.log_text()
    assert "identity verified" in log  # the functions' own log lines are in it
    for value in (CI, NAME, PHONE, BIRTH):
        assert value not in log
