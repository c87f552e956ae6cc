"""Identity verification over the local stack: the browser's round trip through the simulated
KMC (the stack's default vendor) and back to our callback, over HTTP."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

WHO = lifecycle.person("identity", "이영희", "01098765432")


# R-IDV-1, R-IDV-2: accepted once; the same vendor result again is a replay.
def test_vendor_result_is_accepted_once(local_stack: LocalStack) -> None:
    started = lifecycle.start_verification(local_stack)
    callback_url, fields = lifecycle.at_vendor(started, WHO)
    assert callback_url == (
        f"{local_stack.api_url}/identity-verifications/{started['verificationId']}/callback"
    )
    assert lifecycle.deliver(callback_url, fields) == (
        200,
        {"verificationId": started["verificationId"], "status": "verified"},
    )
    status, body = lifecycle.deliver(callback_url, fields)
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
    local_stack: LocalStack, sim: dict[str, str], expected: tuple[int, str]
) -> None:
    callback_url, fields = lifecycle.at_vendor(
        lifecycle.start_verification(local_stack), WHO, **sim
    )
    status, body = lifecycle.deliver(callback_url, fields)
    assert (status, body["code"]) == expected


# R-IDV-2: a changed field, or another verification's certNum, fails the integrity check.
def test_tampered_field_or_another_certnum_is_refused(local_stack: LocalStack) -> None:
    callback_url, fields = lifecycle.at_vendor(lifecycle.start_verification(local_stack), WHO)
    token = fields["apiToken"]
    forged = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    status, body = lifecycle.deliver(callback_url, {**fields, "apiToken": forged})
    assert (status, body["code"]) == (400, "VERIFICATION_TAMPERED")
    other_callback_url, _ = lifecycle.at_vendor(lifecycle.start_verification(local_stack), WHO)
    status, body = lifecycle.deliver(other_callback_url, fields)
    assert (status, body["code"]) == (400, "VERIFICATION_TAMPERED")
    assert lifecycle.deliver(callback_url, fields)[0] == 200  # the refusals changed nothing


# The token exchange times out: 503, nothing changed; a fresh vendor round then succeeds.
def test_vendor_timeout_leaves_the_verification_usable(local_stack: LocalStack) -> None:
    started = lifecycle.start_verification(local_stack)
    callback_url, fields = lifecycle.at_vendor(started, WHO, simScenario="token_timeout")
    status, body = lifecycle.deliver(callback_url, fields)
    assert (status, body["code"]) == (503, "VENDOR_UNAVAILABLE")
    callback_url, fields = lifecycle.at_vendor(started, WHO)
    assert lifecycle.deliver(callback_url, fields)[0] == 200


# R-IDV-2: 20 concurrent deliveries of one callback, exactly one accepted.
def test_concurrent_deliveries_accept_exactly_one(local_stack: LocalStack) -> None:
    callback_url, fields = lifecycle.at_vendor(lifecycle.start_verification(local_stack), WHO)
    barrier = threading.Barrier(20, timeout=30)

    def one_delivery(_: int) -> int:
        barrier.wait()
        return lifecycle.deliver(callback_url, fields)[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(one_delivery, range(20)))
    assert sorted(statuses) == [200] + [409] * 19


# R-IDV-4, R-SEC-3: after a verification (and the flows above), no log line of the stack or its
# functions holds the CI, the raw birth date, the name or the phone.
def test_no_identity_in_the_stack_log(local_stack: LocalStack) -> None:
    callback_url, fields = lifecycle.at_vendor(lifecycle.start_verification(local_stack), WHO)
    assert lifecycle.deliver(callback_url, fields)[0] == 200
    log = local_stack.log_text()
    assert "identity verified" in log  # the functions' own log lines are in it
    for value in (WHO.ci, WHO.name, WHO.phone, WHO.birth_date):
        assert value not in log
