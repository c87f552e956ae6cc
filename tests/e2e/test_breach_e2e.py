"""The 2026 breach rules over HTTP on the local stack (R-SEC-4, Law 21445): a breach notice with
its facts, the PIPC/KISA report it makes due, a partial first report and a follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from partnercenter.clock import iso
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e


# R-SEC-4 (2026): a possible leak by outside access to one member starts the 72-hour clocks;
# a partial report in time meets the authorities' deadline and a follow-up completes it.
def test_an_outside_breach_is_reported_partially_then_completed(local_stack: LocalStack) -> None:
    stack = local_stack
    api = stack.api_url
    operator = lifecycle.operator_token(stack)
    member = lifecycle.active_member(
        stack, operator, lifecycle.person("breached", "한유출", lifecycle.random_phone())
    )
    known = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    notice = {
        "kind": "breach",
        "subject": "개인정보 유출 가능성 안내",
        "body": "외부의 불법 접근으로 연락처가 유출되었을 가능성이 있습니다. 문의 02-6919-9742",
        "audience": {"memberIds": [member.member_id]},
        "breachKnownAt": iso(known),
        "leak": "possible",
        "cause": "outside_access",
        "affectedCount": 1,
        "dataKinds": ["phone"],
    }

    status, created = lifecycle.http("POST", f"{api}/admin/notices", notice, operator)

    assert status == 201, created
    breach = created["breach"]
    assert (breach["leak"], breach["cause"]) == ("possible", "outside_access")
    assert breach["notifyBy"] == iso(known + timedelta(hours=72))
    assert breach["everyMemberToldInTime"] is True
    authority = breach["authorityReport"]
    assert (authority["due"], authority["reasons"]) == (True, ["outside_access"])
    assert authority["reportBy"] == iso(known + timedelta(hours=72))
    assert (authority["met"], authority["overdue"], authority["reports"]) == (False, False, [])

    reports = f"{api}/admin/notices/{created['noticeId']}/authority-reports"
    first = {"reportedAt": iso(known + timedelta(hours=5)), "complete": False}
    status, partial = lifecycle.http("POST", reports, first, operator)
    assert status == 201, partial
    follow_up = {
        "reportedAt": iso(known + timedelta(hours=6)),
        "complete": True,
        "leak": "confirmed",
        "dataKinds": ["phone", "name"],
    }
    status, completed = lifecycle.http("POST", reports, follow_up, operator)

    assert status == 201, completed
    authority = completed["breach"]["authorityReport"]
    assert (authority["met"], authority["complete"]) == (True, True)
    assert [(r["sequence"], r["complete"]) for r in authority["reports"]] == [
        (1, False),
        (2, True),
    ]
    assert completed["breach"]["leak"] == "confirmed"
    assert completed["breach"]["dataKinds"] == ["phone", "name"]
    status, read = lifecycle.http(
        "GET", f"{api}/admin/notices/{created['noticeId']}", None, operator
    )
    assert (status, read) == (200, completed)

    # A member's token is not an operator's (the operators' authorizer refuses it); a
    # policy-change notice has no authority report.
    status, refused = lifecycle.http("POST", reports, first, member.token)
    assert (status, refused["code"]) == (401, "UNAUTHORIZED")
    change = {
        "kind": "policy_change",
        "subject": "개인정보처리방침 변경 안내",
        "body": "2026-12-31부터 변경된 처리방침이 적용됩니다.",
        "audience": {"memberIds": [member.member_id]},
    }
    status, other = lifecycle.http("POST", f"{api}/admin/notices", change, operator)
    assert status == 201, other
    status, refused = lifecycle.http(
        "POST", f"{api}/admin/notices/{other['noticeId']}/authority-reports", first, operator
    )
    assert (status, refused["code"]) == (409, "NOT_A_BREACH_NOTICE")


# R-SEC-4 (2026): an insider's loss of 10 ordinary records is told to members, not reported
def test_an_insider_loss_of_ten_ordinary_records_needs_no_authority_report(
    local_stack: LocalStack,
) -> None:
    stack = local_stack
    api = stack.api_url
    operator = lifecycle.operator_token(stack)
    member = lifecycle.active_member(
        stack, operator, lifecycle.person("lostfile", "한분실", lifecycle.random_phone())
    )
    notice = {
        "kind": "breach",
        "subject": "개인정보 분실 안내",
        "body": "내부 직원의 부주의로 회원 10명의 이름과 연락처가 담긴 문서를 분실했습니다.",
        "audience": {"memberIds": [member.member_id]},
        "breachKnownAt": iso(datetime.now(UTC) - timedelta(hours=1)),
        "leak": "confirmed",
        "cause": "loss",
        "affectedCount": 10,
        "dataKinds": ["name", "phone"],
    }

    status, created = lifecycle.http("POST", f"{api}/admin/notices", notice, operator)

    assert status == 201, created
    authority = created["breach"]["authorityReport"]
    assert (authority["due"], authority["reasons"], authority["met"]) == (False, [], None)
