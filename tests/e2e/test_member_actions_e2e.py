"""Operator actions on a member's behalf, sanctions, sign-out and notices over the local stack
(HTTP; SNS text messages read back from the moto server's /moto-api/ state).

Own stack: withdrawals and text messages here must not show in other tests' destruction-record
or message counts (and theirs not here)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partnercenter.clock import iso
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("member-actions-stack")) as stack:
        yield stack


EMAIL_REQUEST = {
    "channel": "email",
    "receivedAt": "2026-11-20T01:30:00Z",
    "identityCheckedBy": "staff-0117",
}


def _sms_messages(stack: LocalStack) -> list[dict[str, Any]]:
    """Every text message the moto server's SNS accepted (its model-state endpoint)."""
    with urllib.request.urlopen(f"{stack.aws_url}/moto-api/data.json", timeout=30) as answer:
        state = json.loads(answer.read())
    return list(state.get("sns", {}).get("SMS", []))


# R-RIGHT-2, R-RET-7
def test_an_operator_withdraws_a_member_on_an_email_request_like_a_self_withdrawal(
    stack: LocalStack,
) -> None:
    api = stack.api_url
    since = datetime.now(UTC) - timedelta(seconds=1)
    operator = lifecycle.operator_token(stack)
    on_request = lifecycle.active_member(
        stack, operator, lifecycle.person("byemail", "한메일", "01061002001")
    )
    by_self = lifecycle.active_member(
        stack, operator, lifecycle.person("byself", "한스스로", "01061002002")
    )

    status, answered = lifecycle.http(
        "POST", f"{api}/admin/members/{on_request.member_id}/withdrawal", EMAIL_REQUEST, operator
    )
    own_status, own = lifecycle.http("POST", f"{api}/members/me/withdrawal", {}, by_self.token)

    assert (status, own_status) == (200, 200), (answered, own)
    assert answered["status"] == own["status"] == "withdrawn"
    strip = [{k: e[k] for k in ("items", "reason")} for e in answered["retained"]]
    assert strip == [{k: e[k] for k in ("items", "reason")} for e in own["retained"]]
    assert strip == [{"items": ["name", "phone"], "reason": "fraud_prevention"}]
    until = datetime.now(UTC) + timedelta(minutes=1)
    records = lifecycle.destruction_records(stack, operator, since, until)["items"]
    [written] = [r for r in records if r["reason"].startswith("withdrawal on the member's")]
    [selfs] = [r for r in records if r["reason"] == "withdrawal"]
    assert (written["kind"], written["items"]) == (selfs["kind"], selfs["items"])
    assert "email" in written["reason"]
    assert lifecycle.refused_sign_in(stack, on_request.who) in {
        "NotAuthorizedException",
        "UserNotFoundException",
    }
    status, gone = lifecycle.http("GET", f"{api}/members/me", token=on_request.token)
    assert (status, gone["code"]) == (401, "UNAUTHORIZED")


# R-COL-5, R-CK-1
def test_suspension_lifting_and_sign_out(stack: LocalStack) -> None:
    api = stack.api_url
    operator = lifecycle.operator_token(stack)
    member = lifecycle.active_member(
        stack, operator, lifecycle.person("sanctioned", "한정지", "01061003001")
    )

    status, created = lifecycle.http(
        "POST",
        f"{api}/admin/members/{member.member_id}/sanctions",
        {"reason": "Resold tickets in bulk against the terms."},
        operator,
    )
    assert status == 201, created
    status, refused = lifecycle.http("GET", f"{api}/members/me", token=member.token)
    assert (status, refused["code"]) == (403, "MEMBER_SUSPENDED")
    assert lifecycle.refused_sign_in(stack, member.who) == "NotAuthorizedException"

    status, lifted = lifecycle.http(
        "POST",
        f"{api}/admin/members/{member.member_id}/sanctions/{created['sanctionId']}/lift",
        None,
        operator,
    )
    assert status == 200, lifted
    token = stack.sign_in(member.who.login_id, member.who.password)
    status, profile = lifecycle.http("GET", f"{api}/members/me", token=token)
    assert status == 200, profile
    assert [s["sanctionId"] for s in profile["sanctions"]] == [created["sanctionId"]]
    assert profile["sanctions"][0]["inForce"] is False

    status, signed_out = lifecycle.http("POST", f"{api}/members/me/sign-out", None, token)
    assert status == 200, signed_out
    status, after = lifecycle.http("GET", f"{api}/members/me", token=token)
    assert (status, after["code"]) == (401, "UNAUTHORIZED")
    time.sleep(1.1)  # tokens carry whole seconds: sign in again in a later second
    fresh = stack.sign_in(member.who.login_id, member.who.password)
    assert lifecycle.http("GET", f"{api}/members/me", token=fresh)[0] == 200


# R-SEC-4
def test_a_breach_notice_to_three_members_lands_three_text_messages(
    stack: LocalStack,
) -> None:
    api = stack.api_url
    operator = lifecycle.operator_token(stack)
    members = [
        lifecycle.active_member(
            stack, operator, lifecycle.person(f"notified{n}", f"한알림{n}", f"0106100400{n}")
        )
        for n in range(3)
    ]
    known = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    body = {
        "kind": "breach",
        "subject": "개인정보 유출 안내",
        "body": "담당자 연락처 일부가 노출되었습니다. 문의 02-6919-9742",
        "audience": {"memberIds": [m.member_id for m in members]},
        "breachKnownAt": iso(known),
        "leak": "confirmed",
        "cause": "insider",
        "affectedCount": 3,
        "dataKinds": ["name", "phone"],
    }

    status, report = lifecycle.http("POST", f"{api}/admin/notices", body, operator)

    assert status == 201, report
    assert report["deliveries"]["sent"] == 3
    assert report["breach"]["notifyBy"] == iso(known + timedelta(hours=72))
    assert report["breach"]["everyMemberToldInTime"] is True
    numbers = {"+82" + m.who.phone[1:] for m in members}
    landed = _sms_messages(stack)  # the stack's own: exactly this notice's messages
    assert sorted(m["phone_number"] for m in landed) == sorted(numbers)
    for message in landed:
        assert message["message"] == f"[티켓파트너센터] {body['subject']}\n{body['body']}"
        for member in members:
            assert member.who.name not in message["message"]
            assert member.who.login_id not in message["message"]
    status, again = lifecycle.http(
        "GET", f"{api}/admin/notices/{report['noticeId']}", None, operator
    )
    assert (status, again) == (200, report)
    # Phone numbers were opened at send time only: none reached the stack's log (R-SEC-3).
    log = stack.log_text()
    for member in members:
        assert member.who.phone[3:] not in log
