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
A breach notice records when the breach became known and the facts the 2026 rules decide on; its
report says whether every member was told within 72 hours and whether a report to PIPC/KISA is
due and was made in time (R-SEC-4, ``notices.breaches``). A business-transfer notice is announced
on the policy page for at least 30 days (R-NOT-2, ``notices.announcements``).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from partnercenter.audit.access_records import record_access
from partnercenter.clock import EARLIEST_PLAUSIBLE, iso, utc_now
from partnercenter.dal import members as members_dal
from partnercenter.dal import notices as notices_dal
from partnercenter.dal.members import ACTIVE
from partnercenter.dal.notices import (
    BreachCause,
    BreachRecord,
    Leak,
    NoticeAudience,
    NoticeKind,
    NoticeRecord,
    NoticeState,
)
from partnercenter.dal.sms import SENDER_TAG, SmsRefused, korean_mobile_e164, send_sms
from partnercenter.errors import NotFound, NoticeTooShort, ValidationFailed
from partnercenter.hashing import subject_pseudonym
from partnercenter.members.vault import member_cipher
from partnercenter.models import ApiModel, Caller
from partnercenter.notices.breaches import (
    AffectedCount,
    BreachCheck,
    DataKinds,
    breach_check,
    facts_of,
)
from partnercenter.observability import logger, tracer
from partnercenter.policy import CURRENT_VERSION, packaged_document

CHANNEL = "sms"
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
    # R-SEC-4 (2026): a breach notice's facts, which decide whether PIPC/KISA must be told.
    leak: Leak | None = None
    cause: BreachCause | None = None
    affected_count: AffectedCount | None = None
    data_kinds: DataKinds | None = None
    announce_until: AwareDatetime | None = None


class DeliveryCounts(ApiModel):
    total: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    pending: int = 0


class NoticeReport(ApiModel):
    notice_id: str
    kind: NoticeKind
    subject: str
    body: str
    audience: NoticeAudience
    state: NoticeState
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


def _breach(request: NoticeRequest, now: datetime) -> BreachRecord | None:
    """A breach notice's record: when it became known and its facts (R-SEC-4)."""
    if request.kind != "breach":
        given = [
            name
            for name, value in (
                ("breachKnownAt", request.breach_known_at),
                ("leak", request.leak),
                ("cause", request.cause),
                ("affectedCount", request.affected_count),
                ("dataKinds", request.data_kinds),
            )
            if value is not None
        ]
        if given:
            raise ValidationFailed("Only a breach notice has these fields.", fields=given)
        return None
    if request.breach_known_at is None:
        raise ValidationFailed(
            "A breach notice records when the breach became known.", fields=["breachKnownAt"]
        )
    if not EARLIEST_PLAUSIBLE <= request.breach_known_at <= now:
        raise ValidationFailed(
            "breachKnownAt is when the breach became known: a past time.",
            fields=["breachKnownAt"],
        )
    facts = facts_of(request.leak, request.cause, request.affected_count, request.data_kinds)
    return BreachRecord(known_at=iso(request.breach_known_at), facts=facts)


def _check(request: NoticeRequest, now: datetime) -> None:
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
    breach = _breach(request, now)
    _check(request, now)
    listed = isinstance(request.audience, ListedMembers)
    notice = NoticeRecord(
        notice_id=str(uuid.uuid4()),
        kind=request.kind,
        subject=request.subject,
        body=request.body,
        audience="listed_members" if listed else "all_active",
        # Kept only while delivering: finish() removes the recipient list.
        member_ids=(
            tuple(dict.fromkeys(request.audience.member_ids))
            if isinstance(request.audience, ListedMembers)
            else ()
        ),
        created_at=iso(now),
        created_by=operator.member_id,
        announce_until=iso(request.announce_until) if request.announce_until else None,
        breach=breach,
    )
    notices_dal.put_new(notice)
    logger.info("notice created", extra={"kind": request.kind, "audience": notice.audience})
    deliver(notice, out_of_time)
    return notice_report(notice.notice_id)


def compose(notice: NoticeRecord) -> str:
    """The message: the notice's subject and body, nothing about the member."""
    return f"{SENDER_TAG} {notice.subject}\n{notice.body}"


def deliver(notice: NoticeRecord, out_of_time: Callable[[], bool]) -> bool:
    """Deliver to the audience from the saved cursor; True once every member was handled."""
    notice_id = notice.notice_id
    message = compose(notice)
    cursor = notice.cursor
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


def _audience_page(notice: NoticeRecord, cursor: str | None) -> tuple[list[str], str | None]:
    """One page of member ids, and the cursor after it (None: the audience is done)."""
    if notice.audience == "all_active":
        start_key = json.loads(cursor) if cursor else None
        page = members_dal.query_by_status(ACTIVE, AUDIENCE_PAGE, start_key)
        last_key = page.last_key
        return [m.member_id for m in page.listings], json.dumps(last_key) if last_key else None
    listed = notice.member_ids
    start = int(cursor or 0)
    end = start + AUDIENCE_PAGE
    return list(listed[start:end]), str(end) if end < len(listed) else None


def _deliver_one(notice: NoticeRecord, member_id: str, message: str) -> None:
    notice_id = notice.notice_id
    subject = subject_pseudonym(member_id)
    if not notices_dal.claim(notice_id, subject, CHANNEL, iso(utc_now())):
        return  # already handled (a resumed or concurrent delivery)
    member = members_dal.get_member(member_id)
    cipher = member_cipher(member_id) if member and member.status == ACTIVE else None
    if member is None or cipher is None:
        # Not an active member (any more): nothing to write to. Withdrawn members' retained
        # phones serve fraud prevention only and are never used for this (R-RET-5).
        notices_dal.settle_unreachable(notice_id, subject, iso(utc_now()))
        return
    record_access(
        actor=notice.created_by,
        actor_role="operator",
        member_id=member_id,
        action="send_notice",
    )
    try:
        message_id = send_sms(korean_mobile_e164(cipher.open("phone", member.phone_enc)), message)
    except SmsRefused as refused:
        logger.warning("notice not delivered", extra={"errorCode": refused.code})
        notices_dal.settle_failed(notice_id, subject, refused.code, iso(utc_now()))
        return
    notices_dal.settle_sent(notice_id, subject, iso(utc_now()), message_id)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def notice_report(notice_id: str) -> NoticeReport:
    notice = notices_dal.get(notice_id)
    if notice is None:
        raise NotFound("No such notice.")
    deliveries = notices_dal.deliveries_of(notice_id)
    statuses = Counter(d.status for d in deliveries)
    counts = DeliveryCounts(
        total=len(deliveries),
        sent=statuses["sent"],
        failed=statuses["failed"],
        unreachable=statuses["unreachable"],
        pending=statuses["sending"],  # claimed, never settled: a crash mid-delivery
    )
    return NoticeReport(
        notice_id=notice_id,
        kind=notice.kind,
        subject=notice.subject,
        body=notice.body,
        audience=notice.audience,
        state=notice.state,
        created_at=notice.created_at,
        created_by=notice.created_by,
        finished_at=notice.finished_at,
        announce_until=notice.announce_until,
        deliveries=counts,
        breach=(
            breach_check(notice.breach, notice.state, deliveries, utc_now())
            if notice.breach
            else None
        ),
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def resume_unfinished(now: datetime, out_of_time: Callable[[], bool]) -> ResumeReport:
    """The scheduled run: continue every notice whose delivery did not finish."""
    report = ResumeReport()
    for notice_id in notices_dal.still_sending(iso(now - RESUME_GRACE), RESUME_BATCH):
        if out_of_time():
            break
        notice = notices_dal.get(notice_id)
        if notice is None or notice.state != "sending":
            continue
        report.resumed += 1
        if deliver(notice, out_of_time):
            report.finished += 1
    return report
