"""The scheduled retention purge over the local stack, "a year later", through the invoke API.

Members are made and withdrawn through the real routes (vendor simulator, signup, operator
approval, withdrawal); holds through the operator routes; the purge through the Lambda invoke
API with a scheduled event whose ``time`` is the clock (the local stack only).

The stack is this module's own: a purge a year ahead destroys everything due in it, which
must not reach into the shared stack other end-to-end tests use.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import LocalStack
from tests.e2e.test_member_lifecycle_e2e import _request
from tests.support import load_event

pytestmark = pytest.mark.e2e

STACK = "partnercenter"
BIRTH = "19800101"
PASSWORD = "purge-e2e-pass-1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    from tests.e2e.conftest import start_local_stack

    own = start_local_stack(tmp_path_factory.mktemp("purge-stack"))
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture(scope="module")
def operator(stack: LocalStack) -> str:
    stack.create_user("purge-operator", PASSWORD, groups=("privacy-admin",))
    return stack.sign_in("purge-operator", PASSWORD)


def _signed_up_member(stack: LocalStack, operator: str, name: str, phone: str) -> tuple[str, str]:
    """Verify, sign up, get approved and sign in: (member id, login ID)."""
    api = stack.api_url
    status, started = _request("POST", f"{api}/identity-verifications", {"purpose": "signup"})
    assert status == 201, started
    ci = ("E2E" + uuid.uuid4().hex * 3)[:86] + "=="
    person = {"simName": name, "simPhone": phone, "simBirthDate": BIRTH, "simCi": ci}
    status, vendor = _request(
        "POST", started["actionUrl"], {**started["formFields"], **person}, form=True
    )
    assert status == 200, vendor
    status, done = _request("POST", vendor["callbackUrl"], vendor["fields"], form=True)
    assert status == 200, done
    status, policy = _request("GET", f"{api}/privacy-policy")
    login_id = f"purge.{uuid.uuid4().hex[:8]}"
    status, created = _request(
        "POST",
        f"{api}/members",
        {
            "verificationId": started["verificationId"],
            "loginId": login_id,
            "password": PASSWORD,
            "name": name,
            "phone": phone,
            "consents": {"required": {"policyVersion": policy["version"], "agreed": True}},
        },
    )
    assert status == 201, created
    member_id = str(created["memberId"])
    status, decided = _request(
        "POST",
        f"{api}/admin/members/{member_id}/decision",
        {"decision": "approve", "reason": "staff of a partner company"},
        operator,
    )
    assert status == 200, decided
    return member_id, login_id


def _withdrawn(stack: LocalStack, operator: str, name: str, phone: str) -> str:
    member_id, login_id = _signed_up_member(stack, operator, name, phone)
    token = stack.sign_in(login_id, PASSWORD)
    status, receipt = _request("POST", f"{stack.api_url}/members/me/withdrawal", {}, token)
    assert (status, receipt["status"]) == (200, "withdrawn"), receipt
    return member_id


def _purge_at(stack: LocalStack, moment: datetime, dry_run: bool = False) -> dict[str, Any]:
    event = load_event("retention-purge")
    event["id"] = str(uuid.uuid4())
    event["time"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"] = {"dryRun": True} if dry_run else "{}"
    answer = stack.client("lambda").invoke(
        FunctionName="RetentionPurgeFunction", Payload=json.dumps(event).encode()
    )
    payload = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, payload
    return dict(payload)


def _present(stack: LocalStack, member_id: str) -> Callable[[str], bool]:
    dynamodb = stack.client("dynamodb")

    def present(what: str) -> bool:
        table, key = {
            "retained": ("RetainedTable", {"subject": {"S": member_id}}),
            "key": ("DataKeysTable", {"subject": {"S": f"retained:{member_id}"}}),
        }[what]
        item = dynamodb.get_item(TableName=f"{STACK}-{table}", Key=key, ConsistentRead=True).get(
            "Item"
        )
        return item is not None

    return present


def _records_of_run(stack: LocalStack, operator: str, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's destruction records, through the operator route (stamped at the run's clock)."""
    at = datetime.fromisoformat(run["asOf"].replace("Z", "+00:00"))
    window = {
        "from": (at - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": (at + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "limit": "100",
    }
    query = "&".join(f"{k}={v}" for k, v in window.items())
    status, listed = _request(
        "GET", f"{stack.api_url}/admin/destruction-records?{query}", token=operator
    )
    assert status == 200, listed
    return [r for r in listed["items"] if r["runId"] == run["runId"]]


# R-RET-1, R-RET-2, R-RET-6, R-RET-7: kept for the year after withdrawal, then destroyed.
def test_withdrawn_member_is_kept_a_year_then_purged(stack: LocalStack, operator: str) -> None:
    now = datetime.now(UTC)
    name, phone = "한보존", "01031415926"
    member_id = _withdrawn(stack, operator, name, phone)
    present = _present(stack, member_id)
    assert present("retained")
    assert present("key")

    dry = _purge_at(stack, now + timedelta(days=366), dry_run=True)
    assert (dry["dryRun"], dry["purged"]) == (True, 1)
    assert present("retained")

    early = _purge_at(stack, now + timedelta(days=300))
    assert (early["purged"], early["remaining"], early["dryRun"]) == (0, 0, False)
    assert present("retained")
    assert present("key")

    late = _purge_at(stack, now + timedelta(days=366))
    assert (late["purged"], late["skippedHeld"], late["remaining"]) == (1, 0, 0)
    assert not present("retained")
    assert not present("key")  # crypto-shredded
    (record,) = [r for r in _records_of_run(stack, operator, late) if r["kind"] == "retained_data"]
    assert (record["items"], record["reason"]) == (["name", "phone"], "retention ended")
    assert record["subject"].startswith("subj-")
    log = stack.log_text()
    for secret in (name, phone, member_id):
        assert secret not in json.dumps(record, ensure_ascii=False)
        if secret != member_id:
            assert secret not in log


# R-RET-2: an open settlement keeps the data past the year, until the operator releases it.
def test_settlement_hold_keeps_data_until_released(stack: LocalStack, operator: str) -> None:
    now = datetime.now(UTC)
    member_id = _withdrawn(stack, operator, "윤정산", "01027182818")
    present = _present(stack, member_id)
    status, hold = _request(
        "POST",
        f"{stack.api_url}/admin/members/{member_id}/holds",
        {"kind": "settlement", "reason": "Fees of the last period are unsettled."},
        operator,
    )
    assert status == 201, hold

    held = _purge_at(stack, now + timedelta(days=730))
    assert held["purged"] == 0
    assert present("retained")

    status, released = _request(
        "POST",
        f"{stack.api_url}/admin/members/{member_id}/holds/{hold['holdId']}/release",
        {},
        operator,
    )
    assert status == 200, released
    after = _purge_at(stack, now + timedelta(days=730))
    assert after["purged"] == 1
    assert not present("retained")
    assert not present("key")
    records = _records_of_run(stack, operator, after)
    assert [r["kind"] for r in records if r["kind"] == "retained_data"] == ["retained_data"]
