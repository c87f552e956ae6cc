"""Retained data read for its purpose over the local stack (RetainedDataReadFunction, R-RET-5).

A member joins through the real routes, an operator opens a settlement hold and the member
withdraws; then a settlement read answers with the retained items and a complaint read is
refused. The operator's views of holds and sanctions answer over HTTP too.
"""

from __future__ import annotations

import pytest

from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

NAME, PHONE = "정보존", "01086420975"


# R-RET-5, R-SEC-2, R-RET-2
def test_a_settlement_read_answers_and_a_complaint_read_is_refused(
    local_stack: LocalStack,
) -> None:
    api = local_stack.api_url
    operator = lifecycle.operator_token(local_stack)
    member = lifecycle.active_member(
        local_stack, operator, lifecycle.person("retained", NAME, PHONE)
    )
    status, hold = lifecycle.http(
        "POST",
        f"{api}/admin/members/{member.member_id}/holds",
        {"kind": "settlement", "reason": "Fees of the last sales period are unsettled."},
        operator,
    )
    assert status == 201, hold
    status, sanctions = lifecycle.http(
        "GET", f"{api}/admin/members/{member.member_id}/sanctions", None, operator
    )
    assert (status, sanctions) == (200, {"items": []})
    status, receipt = lifecycle.http("POST", f"{api}/members/me/withdrawal", {}, member.token)
    assert status == 200, receipt
    reads = f"{api}/admin/members/{member.member_id}/retained-data/reads"

    status, settlement = lifecycle.http(
        "POST", reads, {"purpose": "settlement", "reason": "Fee dispute no. 7."}, operator
    )
    assert status == 200, settlement
    assert settlement == {"name": NAME, "phone": PHONE, "purpose": "settlement"}

    status, complaint = lifecycle.http(
        "POST", reads, {"purpose": "complaint", "reason": "A complaint to look into."}, operator
    )
    assert status == 403, complaint
    assert complaint["code"] == "NO_RETENTION_PURPOSE"
    assert NAME not in str(complaint)
    assert PHONE not in str(complaint)

    status, as_member = lifecycle.http(
        "POST", reads, {"purpose": "settlement", "reason": "x"}, member.token
    )
    assert status in (401, 403), as_member

    status, holds = lifecycle.http(
        "GET", f"{api}/admin/members/{member.member_id}/holds", None, operator
    )
    assert status == 200, holds
    assert {(h["kind"], h["released"]) for h in holds["items"]} == {
        ("settlement", False),
        ("fraud_prevention", False),
    }
    assert hold["holdId"] in {h["holdId"] for h in holds["items"]}
