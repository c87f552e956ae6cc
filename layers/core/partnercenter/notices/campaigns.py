"""Notices to members (R-NOT-1, R-NOT-2, R-SEC-4): an operator's campaign, delivered to each
member individually by text message, every delivery recorded.

Why text messages and not e-mail: the policy collects name, login ID and mobile phone only
(R-COL-1), and names "notices of policy, terms and service changes" among the phone's purposes;
the system holds no e-mail address to write to. The policy's "서면·전자우편 등" (in writing, by
e-mail, etc.) for a business transfer is met by an individual message to the phone it holds.

The phone is decrypted only at send time, for that one message, with an access record
(R-SEC-2); it goes to SNS and nowhere else (R-SEC-3). A message holds the notice's subject and
body only, nothing of the member. A delivery is claimed (conditional put, by the member's
pseudonym) before the message goes out, so no member gets a notice twice; one left "sending" by a
crash is reported as pending rather than sent again.

Delivery runs in the creating request while its time lasts (under API Gateway's 29 s) and the
scheduled resumption finishes larger audiences, walking the audience from a saved cursor.
A breach notice records when the breach became known; its report says whether every member was
told within 72 hours (R-SEC-4). A business-transfer notice is announced on the policy page for
at least 30 days (R-NOT-2, ``notices.announcements``).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from partnercenter.audit.access_records import record_access
from partnercenter.clock import EARLIEST_PLAUSIBLE, iso, parse_iso, utc_now
from partnercenter.dal import members as members_dal
from partnercenter.dal import notices as notices_dal
from partnercenter.dal.members import ACTIVE
from partnercenter.dal.sms import SmsRefused, send_sms
from partnercenter.errors import NotFound, NoticeTooShort, ValidationFailed
from partnercenter.hashing import subject_pseudonym
from partnercenter.members.vault import member_cipher
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import logger, tracer
from partnercenter.policy import CURRENT_VERSION, packaged_document

NoticeKind = Literal["policy_change", "business_transfer", "breach"]
DeliveryStatus = Literal["sending", "sent", "failed", "unreachable"]
BREACH_NOTIFY_WITHIN = timedelta(hours=72)  # R-SEC-4: the law's 72 hours from learning of it
CHANNEL = "sms"
SENDER_TAG = "[티켓파트너센터]"
AUDIENCE_PAGE = 100
RESUME_BATCH = 25
RESUME_GRACE = timedelta(minutes=1)
MAX_ANNOUNCEMENT = timedelta(days=3650)  # the creating request may still be delivering
_MAX_PAGES = 100_000  # audience pages of 100: far above any membership; the deadline stops sooner

# One text message of at most 800 characters (SNS: 1,600 bytes in UCS-2 for Korean text).
Subject = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
Body = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=700, pattern=r"^[^\x00-\x09\x0b-\x1f\x7f]+$"
    ),
]
MemberId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]


class ListedMembers(ApiModel):
    member_ids: Annotated[list[MemberId], Field(min_length=1, max_length=1000)]


class NoticeRequest(ApiModel):
    kind: NoticeKind
    subject: Subject
    body: Body
    audience: Literal["all_active"] | ListedMembers
    breach_known_at: AwareDatetime | None = None
    announce_until: AwareDatetime | None = None


class DeliveryCounts(ApiModel):
    total: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    pending: int = 0


class BreachCheck(ApiModel):
    """R-SEC-4: were the members told within 72 hours of the breach becoming known?"""

    known_at: str
    notify_by: str
    told_in_time: int
    told_late: int
    not_told: int
    every_member_told_in_time: bool


class NoticeReport(ApiModel):
    notice_id: str
    kind: NoticeKind
    subject: str
    body: str
    audience: Literal["all_active", "listed_members"]
    state: Literal["sending", "sent"]
    created_at: str
    created_by: str
    finished_at: str | None = None
    announce_until: str | None = None
    deliveries: DeliveryCounts
    breach: BreachCheck | None = None


class ResumeReport(ApiModel):
    resumed: int = 0
    finished: int = 0


def business_transfer_days() -> int:
    notice = (packaged_document(CURRENT_VERSION) or {}).get("noticeDays", {})
    return int(notice.get("businessTransfer", 30))


def _check(request: NoticeRequest, now: datetime) -> None:
    if request.kind == "breach":
        if request.breach_known_at is None:
            raise ValidationFailed(
                "A breach notice records when the breach became known.", fields=["breachKnownAt"]
            )
        if not EARLIEST_PLAUSIBLE <= request.breach_known_at <= now:
            raise ValidationFailed(
                "breachKnownAt is when the breach became known: a past time.",
                fields=["breachKnownAt"],
            )
    elif request.breach_known_at is not None:
        raise ValidationFailed("Only a breach notice has breachKnownAt.", fields=["breachKnownAt"])
    if request.kind == "business_transfer":
        days = business_transfer_days()
        if request.announce_until is None or request.announce_until < now + timedelta(days=days):
            raise NoticeTooShort(
                f"A business transfer is announced for at least {days} days: set announceUntil "
                f"at least {days} days from now."
            )
    until = request.announce_until
    if until is not None and not now < until <= now + MAX_ANNOUNCEMENT:
        raise ValidationFailed(
            "announceUntil must be in the future, within 10 years.", fields=["announceUntil"]
        )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def create_notice(
    operator: Caller, request: NoticeRequest, out_of_time: Callable[[], bool]
) -> NoticeReport:
    """Record the notice, deliver it while the request's time lasts, answer with its report."""
    now = utc_now()
    _check(request, now)
    notice_id = str(uuid.uuid4())
    listed = isinstance(request.audience, ListedMembers)
    notice: dict[str, Any] = {
        "noticeId": notice_id,
        "kind": request.kind,
        "subject": request.subject,
        "body": request.body,
        "audience": "listed_members" if listed else "all_active",
        # Kept only while delivering: finish() removes the recipient list.
        "memberIds": (
            list(dict.fromkeys(request.audience.member_ids))
            if isinstance(request.audience, ListedMembers)
            else None
        ),
        "createdAt": iso(now),
        "createdBy": operator.member_id,
        "breachKnownAt": iso(request.breach_known_at) if request.breach_known_at else None,
        "announceUntil": iso(request.announce_until) if request.announce_until else None,
        "announced": notices_dal.ANNOUNCED if request.announce_until else None,
        "state": "sending",
        "sending": notices_dal.SENDING,
    }
    notices_dal.put_new(notice)
    logger.info("notice created", extra={"kind": request.kind, "audience": notice["audience"]})
    deliver(notice, out_of_time)
    return notice_report(notice_id)


def compose(notice: dict[str, Any]) -> str:
    """The message: the notice's subject and body, nothing about the member."""
    return f"{SENDER_TAG} {notice['subject']}\n{notice['body']}"


def deliver(notice: dict[str, Any], out_of_time: Callable[[], bool]) -> bool:
    """Deliver to the audience from the saved cursor; True once every member was handled."""
    notice_id = str(notice["noticeId"])
    message = compose(notice)
    cursor: str | None = notice.get("cursor")
    for _ in range(_MAX_PAGES):
        if out_of_time():
            return False
        member_ids, next_cursor = _audience_page(notice, cursor)
        for member_id in member_ids:
            if out_of_time():
                return False  # the cursor stays: claimed deliveries are skipped next time
            _deliver_one(notice, member_id, message)
        if next_cursor is None:
            notices_dal.finish(notice_id, iso(utc_now()))
            return True
        notices_dal.save_cursor(notice_id, next_cursor)
        cursor = next_cursor
    return False


def _audience_page(notice: dict[str, Any], cursor: str | None) -> tuple[list[str], str | None]:
    """One page of member ids, and the cursor after it (None: the audience is done)."""
    if notice["audience"] == "all_active":
        start_key = json.loads(cursor) if cursor else None
        rows, last_key = members_dal.query_by_status(ACTIVE, AUDIENCE_PAGE, start_key)
        return [str(r["memberId"]) for r in rows], json.dumps(last_key) if last_key else None
    listed = [str(m) for m in notice.get("memberIds") or []]
    start = int(cursor or 0)
    end = start + AUDIENCE_PAGE
    return listed[start:end], str(end) if end < len(listed) else None


def korean_mobile_e164(phone: str) -> str:
    """``01012345678`` -> ``+821012345678`` (R-COL-1 keeps Korean mobile numbers as digits)."""
    return "+82" + phone[1:]


def _deliver_one(notice: dict[str, Any], member_id: str, message: str) -> None:
    notice_id = str(notice["noticeId"])
    subject = subject_pseudonym(member_id)
    if not notices_dal.claim(notice_id, subject, CHANNEL, iso(utc_now())):
        return  # already handled (a resumed or concurrent delivery)
    member = members_dal.get_member(member_id)
    cipher = member_cipher(member_id) if member and member.get("status") == ACTIVE else None
    if member is None or cipher is None:
        # Not an active member (any more): nothing to write to. Withdrawn members' retained
        # phones serve fraud prevention only and are never used for this (R-RET-5).
        notices_dal.settle(
            notice_id, subject, {"status": "unreachable", "settledAt": iso(utc_now())}
        )
        return
    record_access(
        actor=str(notice["createdBy"]),
        actor_role="operator",
        member_id=member_id,
        action="send_notice",
    )
    try:
        message_id = send_sms(korean_mobile_e164(cipher.open("phone", member["phoneEnc"])), message)
    except SmsRefused as refused:
        logger.warning("notice not delivered", extra={"errorCode": refused.code})
        notices_dal.settle(
            notice_id,
            subject,
            {"status": "failed", "errorCode": refused.code, "settledAt": iso(utc_now())},
        )
        return
    notices_dal.settle(
        notice_id, subject, {"status": "sent", "sentAt": iso(utc_now()), "messageId": message_id}
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def notice_report(notice_id: str) -> NoticeReport:
    notice = notices_dal.get(notice_id)
    if notice is None:
        raise NotFound("No such notice.")
    rows = notices_dal.deliveries_of(notice_id)
    statuses = Counter(str(row["status"]) for row in rows)
    counts = DeliveryCounts(
        total=len(rows),
        sent=statuses["sent"],
        failed=statuses["failed"],
        unreachable=statuses["unreachable"],
        pending=statuses["sending"],  # claimed, never settled: a crash mid-delivery
    )
    return NoticeReport(
        notice_id=notice_id,
        kind=notice["kind"],
        subject=notice["subject"],
        body=notice["body"],
        audience=notice["audience"],
        state=notice["state"],
        created_at=notice["createdAt"],
        created_by=notice["createdBy"],
        finished_at=notice.get("finishedAt"),
        announce_until=notice.get("announceUntil"),
        deliveries=counts,
        breach=_breach_check(notice, rows) if notice.get("breachKnownAt") else None,
    )


def _breach_check(notice: dict[str, Any], rows: list[dict[str, Any]]) -> BreachCheck:
    known = parse_iso(str(notice["breachKnownAt"]))
    notify_by = known + BREACH_NOTIFY_WITHIN
    sent = [parse_iso(str(r["sentAt"])) for r in rows if r["status"] == "sent"]
    in_time = sum(1 for at in sent if at <= notify_by)
    late = len(sent) - in_time
    not_told = len(rows) - len(sent)
    return BreachCheck(
        known_at=iso(known),
        notify_by=iso(notify_by),
        told_in_time=in_time,
        told_late=late,
        not_told=not_told,
        every_member_told_in_time=notice["state"] == "sent" and late == 0 and not_told == 0,
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def resume_unfinished(now: datetime, out_of_time: Callable[[], bool]) -> ResumeReport:
    """The scheduled run: continue every notice whose delivery did not finish."""
    report = ResumeReport()
    for notice_id in notices_dal.still_sending(iso(now - RESUME_GRACE), RESUME_BATCH):
        if out_of_time():
            break
        notice = notices_dal.get(notice_id)
        if notice is None or notice.get("state") != "sending":
            continue
        report.resumed += 1
        if deliver(notice, out_of_time):
            report.finished += 1
    return report
