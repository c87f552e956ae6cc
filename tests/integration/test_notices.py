"""Notices to members over moto: each member told individually by text message (SNS), each
delivery recorded by pseudonym; the 72-hour check of a breach notice (R-SEC-4); a business
transfer announced at least 30 days (R-NOT-2)."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from partnercenter.clock import iso, parse_iso
from partnercenter.dal.codec import from_item
from partnercenter.hashing import subject_pseudonym
from partnercenter.models import Caller
from partnercenter.notices.announcements import privacy_policy_page
from partnercenter.notices.campaigns import NoticeRequest, create_notice, resume_unfinished
from tests.integration.retention_support import (
    ActiveMember,
    Hook,
    make_active_member,
    scan_all,
    withdraw,
)
from tests.support import LambdaContext, api_event, call, claims_for, handler_module, load_event

OPERATOR_ID = "7f3c2a10-0000-4000-8000-00000000a001"  # the sample events' operator
SUBJECT = "개인정보 유출 안내"
BODY = (
    "담당자 연락처 일부가 외부에 노출되었습니다. 노출 항목: 이름, 휴대전화번호. 문의 02-6919-9742"
)


def sms_sent(aws_stack: Any) -> list[tuple[str, str]]:
    """(number, message) of every text message moto's SNS accepted, in order."""
    from moto.sns.models import sns_backends

    backend = sns_backends[aws_stack.provisioned.account_id][os.environ["AWS_REGION"]]
    return list(backend.sms_messages.values())


def e164(member: ActiveMember) -> str:
    return "+82" + member.phone[1:]


def post_notice(body: dict[str, Any], claims: dict[str, str] | None = None) -> Any:
    return call("notices", api_event("admin-create-notice", body=body, claims=claims))


def get_notice(notice_id: str) -> Any:
    return call("notices", api_event("admin-get-notice", path_params={"noticeId": notice_id}))


def breach(members: list[ActiveMember], known: datetime, **facts: Any) -> dict[str, Any]:
    """A breach notice; by default an insider's loss of a few names and phones (no report due)."""
    return {
        "kind": "breach",
        "subject": SUBJECT,
        "body": BODY,
        "audience": {"memberIds": [m.member_id for m in members]},
        "breachKnownAt": iso(known),
        "leak": "confirmed",
        "cause": "insider",
        "affectedCount": len(members),
        "dataKinds": ["name", "phone"],
        **facts,
    }


def report_breach(
    notice_id: str, body: dict[str, Any], claims: dict[str, str] | None = None
) -> Any:
    return call(
        "notices",
        api_event(
            "admin-report-breach", path_params={"noticeId": notice_id}, body=body, claims=claims
        ),
    )


def operator() -> Caller:
    return Caller(member_id=OPERATOR_ID, groups=("privacy-admin",), issued_at=0, source_ip="")


# R-SEC-4, R-SEC-2, R-SEC-3
def test_a_breach_notice_tells_each_member_by_text_within_72_hours(aws_stack) -> None:
    members = [make_active_member() for _ in range(3)]
    known = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)

    created = post_notice(breach(members, known))

    assert created.status == 201, created.body
    report = created.body
    assert (report["kind"], report["state"], report["audience"]) == (
        "breach",
        "sent",
        "listed_members",
    )
    assert report["deliveries"] == {
        "total": 3,
        "sent": 3,
        "failed": 0,
        "unreachable": 0,
        "pending": 0,
    }
    assert report["breach"] == {
        "knownAt": iso(known),
        "leak": "confirmed",
        "cause": "insider",
        "affectedCount": 3,
        "dataKinds": ["name", "phone"],
        "notifyBy": iso(known + timedelta(hours=72)),
        "toldInTime": 3,
        "toldLate": 0,
        "notTold": 0,
        "everyMemberToldInTime": True,
        # R-SEC-4 (2026): an insider's leak of 3 ordinary records is not reported to PIPC/KISA
        "authorityReport": {
            "due": False,
            "reasons": [],
            "reportBy": None,
            "firstReportedAt": None,
            "met": None,
            "overdue": False,
            "complete": False,
            "reports": [],
        },
    }
    # Three messages, one to each member's phone, holding the notice and nothing of the member.
    sent = sms_sent(aws_stack)
    assert sorted(number for number, _ in sent) == sorted(e164(m) for m in members)
    assert {message for _, message in sent} == {f"[티켓파트너센터] {SUBJECT}\n{BODY}"}
    for member in members:
        for _, message in sent:
            assert member.name not in message
            assert member.login_id not in message
    # Each delivery recorded by pseudonym; the recipient list is not kept once delivered.
    deliveries = [from_item(i) for i in scan_all("NOTICE_DELIVERIES_TABLE")]
    assert sorted(d["subject"] for d in deliveries) == sorted(
        subject_pseudonym(m.member_id) for m in members
    )
    assert {(d["channel"], d["status"]) for d in deliveries} == {("sms", "sent")}
    stored = json.dumps(
        scan_all("NOTICES_TABLE") + scan_all("NOTICE_DELIVERIES_TABLE"), ensure_ascii=False
    )
    for member in members:
        for value in (member.member_id, member.phone, e164(member), member.name):
            assert value not in stored
    # Opening each phone was an access, recorded (R-SEC-2).
    actions = [
        (r["actor"], r["action"], r["subject"])
        for r in map(from_item, scan_all("ACCESS_RECORDS_TABLE"))
    ]
    for member in members:
        assert (OPERATOR_ID, "send_notice", subject_pseudonym(member.member_id)) in actions
    assert get_notice(report["noticeId"]).body == report


# R-SEC-4
def test_the_report_shows_a_breach_told_after_72_hours(aws_stack) -> None:
    members = [make_active_member() for _ in range(2)]
    known = datetime.now(UTC) - timedelta(hours=80)
    report = post_notice(breach(members, known)).body
    assert report["breach"]["toldLate"] == 2
    assert report["breach"]["toldInTime"] == 0
    assert report["breach"]["everyMemberToldInTime"] is False


# R-SEC-4
def test_a_refused_message_is_recorded_and_fails_the_72_hour_check(aws_stack) -> None:
    members = [make_active_member() for _ in range(2)]

    def refuse() -> None:
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow"}}, "Publish")

    Hook("Publish", refuse, service="sns").install()
    report = post_notice(breach(members, datetime.now(UTC) - timedelta(hours=1))).body

    assert report["deliveries"]["sent"] == 1
    assert report["deliveries"]["failed"] == 1
    assert report["breach"]["notTold"] == 1
    assert report["breach"]["everyMemberToldInTime"] is False
    [failed] = [
        d for d in map(from_item, scan_all("NOTICE_DELIVERIES_TABLE")) if d["status"] == "failed"
    ]
    assert failed["errorCode"] == "Throttling"


# R-NOT-2
def test_a_business_transfer_is_announced_30_days_and_told_to_every_active_member(
    aws_stack,
) -> None:
    from tests.integration.member_steps import Person, sign_up

    active = [make_active_member() for _ in range(2)]
    pending = sign_up(Person.new(phone="01055507777"), "pending.transfer")
    assert pending.status == 201
    now = datetime.now(UTC)
    transfer = {
        "kind": "business_transfer",
        "subject": "영업양도 안내",
        "body": "티켓파트너센터 사업이 2027-01-01 주식회사 예시로 양도됩니다.",
        "audience": "all_active",
    }

    short = post_notice({**transfer, "announceUntil": iso(now + timedelta(days=29))})
    missing = post_notice(transfer)

    assert (short.status, short.body["code"]) == (400, "NOTICE_TOO_SHORT")
    assert (missing.status, missing.body["code"]) == (400, "NOTICE_TOO_SHORT")
    assert sms_sent(aws_stack) == []

    until = now + timedelta(days=30, minutes=5)
    created = post_notice({**transfer, "announceUntil": iso(until)})

    assert created.status == 201, created.body
    assert created.body["deliveries"]["sent"] == 2  # active members only, not the pending one
    assert sorted(n for n, _ in sms_sent(aws_stack)) == sorted(e164(m) for m in active)
    policy = call("policy", load_event("get-privacy-policy"))
    [announced] = policy.body["announcements"]
    assert announced == {
        "noticeId": created.body["noticeId"],
        "kind": "business_transfer",
        "subject": transfer["subject"],
        "body": transfer["body"],
        "announcedAt": created.body["createdAt"],
        "announceUntil": iso(until),
    }
    assert policy.body["version"]  # still the policy itself
    assert privacy_policy_page(until - timedelta(seconds=1))["announcements"] != []
    assert privacy_policy_page(until + timedelta(seconds=1))["announcements"] == []


# R-NOT-1
def test_a_policy_change_notice_to_a_list_reports_who_could_not_be_reached(aws_stack) -> None:
    member, leaving = make_active_member(), make_active_member()
    assert withdraw(leaving).status == 200
    body = {
        "kind": "policy_change",
        "subject": "개인정보처리방침 변경 안내",
        "body": "2026-12-31부터 변경된 처리방침이 적용됩니다.",
        "audience": {"memberIds": [member.member_id, leaving.member_id, str(uuid.uuid4())]},
    }

    report = post_notice(body).body

    assert report["deliveries"] == {
        "total": 3,
        "sent": 1,
        "failed": 0,
        "unreachable": 2,
        "pending": 0,
    }
    assert report["breach"] is None
    assert [n for n, _ in sms_sent(aws_stack)] == [e164(member)]  # not the retained phone


# R-SEC-4
def test_delivery_an_interrupted_request_left_is_resumed_without_duplicates(aws_stack) -> None:
    members = [make_active_member() for _ in range(3)]
    request = NoticeRequest.model_validate(breach(members, datetime.now(UTC)))
    ticks = iter([False, False, True])  # time runs out after the first member

    started = create_notice(operator(), request, lambda: next(ticks, True))

    assert (started.state, started.deliveries.sent) == ("sending", 1)
    assert started.breach is not None
    assert started.breach.every_member_told_in_time is False
    assert len(sms_sent(aws_stack)) == 1
    # The schedule leaves a notice the creating request may still be delivering.
    scheduled = handler_module("notices").lambda_handler(
        load_event("notices-resume"), LambdaContext()
    )
    assert scheduled == {"resumed": 0, "finished": 0}

    resumed = resume_unfinished(datetime.now(UTC) + timedelta(minutes=2), lambda: False)

    assert (resumed.resumed, resumed.finished) == (1, 1)
    report = get_notice(started.notice_id).body
    assert report["state"] == "sent"
    assert report["deliveries"]["sent"] == 3
    assert report["breach"]["everyMemberToldInTime"] is True
    assert sorted(n for n, _ in sms_sent(aws_stack)) == sorted(e164(m) for m in members)
    assert resume_unfinished(datetime.now(UTC) + timedelta(minutes=2), lambda: False).resumed == 0
    assert parse_iso(report["finishedAt"]) >= parse_iso(report["createdAt"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"breachKnownAt": None}, "breachKnownAt"),
        ({"breachKnownAt": "2099-01-01T00:00:00Z"}, "breachKnownAt"),
        ({"breachKnownAt": "0042-03-26T00:21:04.5570-00:56"}, "breachKnownAt"),  # fuzzing found
        ({"announceUntil": "9999-12-31T00:00:00Z"}, "announceUntil"),
        ({"kind": "policy_change"}, "breachKnownAt"),
        ({"kind": "policy_change", "breachKnownAt": None}, "leak"),
        ({"leak": None}, "leak"),
        ({"cause": None}, "cause"),
        ({"affectedCount": None}, "affectedCount"),
        ({"dataKinds": None}, "dataKinds"),
        ({"cause": "hackers"}, "cause"),
        ({"affectedCount": -1}, "affectedCount"),
        ({"dataKinds": ["favourite_colour"]}, "dataKinds"),
        ({"announceUntil": "2020-01-01T00:00:00Z"}, "announceUntil"),
        ({"subject": "줄\n바꿈"}, "subject"),
        ({"body": "가" * 701}, "body"),
        ({"audience": {"memberIds": []}}, "audience"),
        ({"audience": "everyone"}, "audience"),
        ({"cc": "x"}, "cc"),
    ],
)
def test_invalid_notices_are_refused_by_field_and_send_nothing(aws_stack, change, field) -> None:
    body = {**breach([], datetime.now(UTC) - timedelta(hours=1)), "audience": "all_active"}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    refused = post_notice(body)
    assert (refused.status, refused.body["code"]) == (422, "VALIDATION_FAILED")
    assert any(f.startswith(field) for f in refused.body["fields"]), refused.body
    assert sms_sent(aws_stack) == []


def test_notices_are_for_operators_only(aws_stack) -> None:
    member = make_active_member()
    as_member = post_notice(
        breach([member], datetime.now(UTC)), claims=claims_for(member.member_id)
    )
    assert (as_member.status, as_member.body["code"]) == (403, "FORBIDDEN")
    read = call(
        "notices",
        api_event(
            "admin-get-notice",
            path_params={"noticeId": str(uuid.uuid4())},
            claims=claims_for(member.member_id),
        ),
    )
    assert read.status == 403
    assert get_notice(str(uuid.uuid4())).status == 404
    assert sms_sent(aws_stack) == []


# R-NOT-1
def test_audiences_are_walked_page_by_page_from_a_saved_cursor(aws_stack, monkeypatch) -> None:
    from partnercenter.notices import campaigns

    monkeypatch.setattr(campaigns, "AUDIENCE_PAGE", 1)
    members = [make_active_member() for _ in range(3)]
    body = {
        "kind": "policy_change",
        "subject": "개인정보처리방침 변경 안내",
        "body": "2026-12-31부터 변경된 처리방침이 적용됩니다.",
    }

    everyone = post_notice({**body, "audience": "all_active"}).body
    listed = post_notice({**body, "audience": {"memberIds": [m.member_id for m in members]}}).body

    assert everyone["deliveries"]["sent"] == listed["deliveries"]["sent"] == 3
    assert (everyone["state"], listed["state"]) == ("sent", "sent")
    assert len(sms_sent(aws_stack)) == 6
    notices = [from_item(i) for i in scan_all("NOTICES_TABLE")]
    assert all("cursor" not in n and "memberIds" not in n for n in notices)


# R-SEC-4
def test_a_crash_mid_delivery_leaves_that_member_pending_and_never_texts_twice(
    aws_stack,
) -> None:
    from botocore.exceptions import EndpointConnectionError

    members = [make_active_member() for _ in range(2)]

    def crash() -> None:
        raise EndpointConnectionError(endpoint_url="https://sns")

    Hook("Publish", crash, service="sns").install()
    crashed = post_notice(breach(members, datetime.now(UTC)))
    assert crashed.status == 500
    [notice] = [from_item(i) for i in scan_all("NOTICES_TABLE")]
    assert notice["state"] == "sending"

    assert resume_unfinished(datetime.now(UTC), lambda: True).resumed == 0  # out of time
    resumed = resume_unfinished(datetime.now(UTC) + timedelta(minutes=2), lambda: False)

    assert (resumed.resumed, resumed.finished) == (1, 1)
    report = get_notice(notice["noticeId"]).body
    assert report["deliveries"] == {
        "total": 2,
        "sent": 1,
        "failed": 0,
        "unreachable": 0,
        "pending": 1,
    }
    assert report["breach"]["everyMemberToldInTime"] is False
    assert len(sms_sent(aws_stack)) == 1


# R-SEC-4 (2026): outside access to 2 records: a report to PIPC/KISA is due within 72 hours;
# a partial first report in time meets it, a follow-up completes it and corrects the facts.
def test_a_partial_first_report_and_a_follow_up_are_recorded_against_the_deadline(
    aws_stack,
) -> None:
    members = [make_active_member() for _ in range(2)]
    known = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=80)
    notice = post_notice(breach(members, known, leak="possible", cause="outside_access")).body
    authority = notice["breach"]["authorityReport"]
    assert (authority["due"], authority["reasons"]) == (True, ["outside_access"])
    assert authority["reportBy"] == iso(known + timedelta(hours=72))
    assert (authority["met"], authority["overdue"]) == (False, True)  # none made, 80 h on

    first = report_breach(
        notice["noticeId"],
        {"reportedAt": iso(known + timedelta(hours=70)), "complete": False},
    )
    follow_up = report_breach(
        notice["noticeId"],
        {
            "reportedAt": iso(known + timedelta(hours=79)),
            "complete": True,
            "leak": "confirmed",
            "affectedCount": 1200,
            "dataKinds": ["name", "phone", "unique_identifier"],
        },
    )

    assert (first.status, follow_up.status) == (201, 201), follow_up.body
    after = follow_up.body["breach"]
    assert (after["leak"], after["cause"], after["affectedCount"]) == (
        "confirmed",
        "outside_access",
        1200,
    )
    assert after["dataKinds"] == ["name", "phone", "unique_identifier"]
    authority = after["authorityReport"]
    assert authority["reasons"] == ["affected_1000_or_more", "unique_identifier", "outside_access"]
    assert authority["firstReportedAt"] == iso(known + timedelta(hours=70))
    assert (authority["met"], authority["overdue"], authority["complete"]) == (True, False, True)
    assert [(r["sequence"], r["complete"], r["recordedBy"]) for r in authority["reports"]] == [
        (1, False, OPERATOR_ID),
        (2, True, OPERATOR_ID),
    ]
    assert get_notice(notice["noticeId"]).body == follow_up.body
    assert len(sms_sent(aws_stack)) == 2  # recording a report sends nothing


# R-SEC-4 (2026): sensitive data leaked and first reported after 72 hours: deadline missed
def test_a_report_after_72_hours_misses_the_authority_deadline(aws_stack) -> None:
    known = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=100)
    notice = post_notice(breach([make_active_member()], known, dataKinds=["sensitive"])).body
    late = report_breach(
        notice["noticeId"], {"reportedAt": iso(known + timedelta(hours=73)), "complete": True}
    )
    authority = late.body["breach"]["authorityReport"]
    assert (authority["due"], authority["reasons"]) == (True, ["sensitive_data"])
    assert (authority["met"], authority["overdue"]) == (False, True)


# R-SEC-4 (2026)
def test_reports_are_refused_on_other_notices_out_of_order_and_for_members(aws_stack) -> None:
    member = make_active_member()
    known = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=10)
    notice = post_notice(breach([member], known, cause="outside_access")).body
    change = post_notice(
        {
            "kind": "policy_change",
            "subject": "개인정보처리방침 변경 안내",
            "body": "2026-12-31부터 변경된 처리방침이 적용됩니다.",
            "audience": {"memberIds": [member.member_id]},
        }
    ).body
    in_time = {"reportedAt": iso(known + timedelta(hours=2)), "complete": False}

    not_breach = report_breach(change["noticeId"], in_time)
    unknown = report_breach(str(uuid.uuid4()), in_time)
    as_member = report_breach(notice["noticeId"], in_time, claims=claims_for(member.member_id))
    before_known = report_breach(
        notice["noticeId"], {**in_time, "reportedAt": iso(known - timedelta(minutes=1))}
    )
    future = report_breach(
        notice["noticeId"], {**in_time, "reportedAt": iso(datetime.now(UTC) + timedelta(hours=1))}
    )
    bad_count = report_breach(notice["noticeId"], {**in_time, "affectedCount": -5})

    assert (not_breach.status, not_breach.body["code"]) == (409, "NOT_A_BREACH_NOTICE")
    assert (unknown.status, unknown.body["code"]) == (404, "NOT_FOUND")
    assert (as_member.status, as_member.body["code"]) == (403, "FORBIDDEN")
    for refused, field in (
        (before_known, "reportedAt"),
        (future, "reportedAt"),
        (bad_count, "affectedCount"),
    ):
        assert (refused.status, refused.body["code"]) == (422, "VALIDATION_FAILED")
        assert any(f.startswith(field) for f in refused.body["fields"]), refused.body
    assert get_notice(notice["noticeId"]).body["breach"]["authorityReport"]["reports"] == []

    assert report_breach(notice["noticeId"], in_time).status == 201
    earlier = report_breach(
        notice["noticeId"], {**in_time, "reportedAt": iso(known + timedelta(hours=1))}
    )
    assert (earlier.status, earlier.body["code"]) == (422, "VALIDATION_FAILED")


# R-SEC-4 (2026): two follow-ups recorded at once: one wins, the other is told to retry
def test_a_report_racing_another_is_refused_with_conflict(aws_stack, monkeypatch) -> None:
    from partnercenter.dal import notices as notices_dal

    known = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=10)
    notice = post_notice(breach([make_active_member()], known, cause="outside_access")).body
    body = {"reportedAt": iso(known + timedelta(hours=1)), "complete": False}
    read = notices_dal.get

    def read_then_another_report(notice_id: str) -> Any:
        seen = read(notice_id)
        monkeypatch.setattr(notices_dal, "get", read)
        assert report_breach(notice_id, body).status == 201  # lands between read and write
        return seen

    monkeypatch.setattr(notices_dal, "get", read_then_another_report)
    raced = report_breach(notice["noticeId"], body)

    assert (raced.status, raced.body["code"]) == (409, "CONFLICT")
    reports = get_notice(notice["noticeId"]).body["breach"]["authorityReport"]["reports"]
    assert [r["sequence"] for r in reports] == [1]
