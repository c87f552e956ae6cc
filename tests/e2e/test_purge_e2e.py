"""The scheduled retention purge over the local stack, "a year later", through the invoke API.

Members are made and withdrawn through the real routes (vendor simulator, signup, operator
approval, withdrawal); holds through the operator routes; the purge through the Lambda invoke
API with a scheduled event whose ``time`` is the clock (the local stack only).

The stack is this module's own: a purge a year ahead destroys everything due in it, which
must not reach into the shared stack other end-to-end tests use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.provision import STACK_NAME
from partnercenter.clock import parse_iso
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("purge-stack")) as stack:
        yield stack


@pytest.fixture(scope="module")
def operator(stack: LocalStack) -> str:
    return lifecycle.operator_token(stack)


def _withdrawn(stack: LocalStack, operator: str, name: str, phone: str) -> str:
    """Verified, signed up, approved, signed in and withdrawn: the member id."""
    member = lifecycle.active_member(stack, operator, lifecycle.person("purge", name, phone))
    status, receipt = lifecycle.http(
        "POST", f"{stack.api_url}/members/me/withdrawal", {}, member.token
    )
    assert (status, receipt["status"]) == (200, "withdrawn"), receipt
    return member.member_id


def _present(stack: LocalStack, member_id: str) -> Callable[[str], bool]:
    dynamodb = stack.client("dynamodb")

    def present(what: str) -> bool:
        table, key = {
            "retained": ("RetainedTable", {"subject": {"S": member_id}}),
            "key": ("DataKeysTable", {"subject": {"S": f"retained:{member_id}"}}),
        }[what]
        item = dynamodb.get_item(
            TableName=f"{STACK_NAME}-{table}", Key=key, ConsistentRead=True
        ).get("Item")
        return item is not None

    return present


def _records_of_run(stack: LocalStack, operator: str, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's destruction records, through the operator route (stamped at the run's clock)."""
    at = parse_iso(run["asOf"])
    window = (at - timedelta(minutes=5), at + timedelta(minutes=5))
    listed = lifecycle.destruction_records(stack, operator, *window)
    return [r for r in listed["items"] if r["runId"] == run["runId"]]


# R-RET-1, R-RET-2, R-RET-6, R-RET-7: kept for the year after withdrawal, then destroyed.
def test_withdrawn_member_is_kept_a_year_then_purged(stack: LocalStack, operator: str) -> None:
    now = datetime.now(UTC)
    name, phone = "한보존", "01031415926"
    member_id = _withdrawn(stack, operator, name, phone)
    present = _present(stack, member_id)
    assert present("retained")
    assert present("key")

    dry = lifecycle.purge_at(stack, now + timedelta(days=366), dry_run=True)
    assert (dry["dryRun"], dry["purged"]) == (True, 1)
    assert present("retained")

    early = lifecycle.purge_at(stack, now + timedelta(days=300))
    assert (early["purged"], early["remaining"], early["dryRun"]) == (0, 0, False)
    assert present("retained")
    assert present("key")

    late = lifecycle.purge_at(stack, now + timedelta(days=366))
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
    status, hold = lifecycle.http(
        "POST",
        f"{stack.api_url}/admin/members/{member_id}/holds",
        {"kind": "settlement", "reason": "Fees of the last period are unsettled."},
        operator,
    )
    assert status == 201, hold

    held = lifecycle.purge_at(stack, now + timedelta(days=730))
    assert held["purged"] == 0
    assert present("retained")

    status, released = lifecycle.http(
        "POST",
        f"{stack.api_url}/admin/members/{member_id}/holds/{hold['holdId']}/release",
        {},
        operator,
    )
    assert status == 200, released
    after = lifecycle.purge_at(stack, now + timedelta(days=730))
    assert after["purged"] == 1
    assert not present("retained")
    assert not present("key")
    records = _records_of_run(stack, operator, after)
    assert [r["kind"] for r in records if r["kind"] == "retained_data"] == ["retained_data"]
