"""The breach rules of R-SEC-4 as amended in 2026 (Law 21445, in force 2026-09-11).

A breach notice records whether the leak is confirmed or only possible (the 72-hour clock starts
when either became known), its cause (outside unlawful access, an insider, loss, or tampering,
ransomware-type included), how many people it affects and which kinds of data leaked. From
these it decides whether a report to PIPC/KISA is due: within 72 hours when 1,000 or more people
are affected, when sensitive or unique-identifier data leaked, or whenever outside unlawful
access caused it. The first report may be partial; follow-ups complete it and may correct
every fact but when the breach became known. The report is made outside this system; the
notice records when it was made, and its report says whether each deadline was met.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from partnercenter.clock import iso, parse_iso, utc_now
from partnercenter.dal import notices as notices_dal
from partnercenter.dal.notices import (
    AuthorityReportRecord,
    BreachCause,
    BreachFacts,
    BreachRecord,
    DataKind,
    DeliveryRecord,
    Leak,
    NoticeState,
)
from partnercenter.errors import Conflict, NotABreachNotice, NotFound, ValidationFailed
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import logger

NOTIFY_WITHIN = timedelta(hours=72)  # members, from learning of it (R-SEC-4)
REPORT_WITHIN = timedelta(hours=72)  # PIPC/KISA, from learning of it (R-SEC-4, 2026)
MANY_AFFECTED = 1000
MAX_AFFECTED = 100_000_000  # far above Korea's population: a typo, not a breach
ReportTrigger = Literal[
    "affected_1000_or_more", "sensitive_data", "unique_identifier", "outside_access"
]
AffectedCount = Annotated[int, Field(ge=0, le=MAX_AFFECTED)]
DataKinds = Annotated[list[DataKind], Field(max_length=8)]


class AuthorityReportRequest(ApiModel):
    """``POST /admin/notices/{noticeId}/authority-reports``: a report made to PIPC/KISA."""

    reported_at: AwareDatetime
    complete: bool
    leak: Leak | None = None
    cause: BreachCause | None = None
    affected_count: AffectedCount | None = None
    data_kinds: DataKinds | None = None


class AuthorityReport(ApiModel):
    sequence: int
    reported_at: str
    complete: bool
    recorded_at: str
    recorded_by: str


class AuthorityReportCheck(ApiModel):
    """R-SEC-4 (2026): is a report to PIPC/KISA due, by when, and was it made in time?"""

    due: bool
    reasons: list[ReportTrigger]
    report_by: str | None = None
    first_reported_at: str | None = None
    met: bool | None = None  # None: no report is due
    overdue: bool = False
    complete: bool = False
    reports: list[AuthorityReport] = Field(default_factory=list)


class BreachCheck(ApiModel):
    """R-SEC-4: the breach's facts; whether the members were told within 72 hours of it
    becoming known (``notifyBy``, ``everyMemberToldInTime``); the authority report's due date
    and whether it was met (``authorityReport``; None on notices from before the 2026 rules)."""

    known_at: str
    leak: Leak | None = None
    cause: BreachCause | None = None
    affected_count: int | None = None
    data_kinds: list[DataKind] = Field(default_factory=list)
    notify_by: str
    told_in_time: int
    told_late: int
    not_told: int
    every_member_told_in_time: bool
    authority_report: AuthorityReportCheck | None = None


def report_triggers(facts: BreachFacts) -> list[ReportTrigger]:
    """Why a report to PIPC/KISA is due (R-SEC-4, 2026); empty: not due."""
    reasons: list[ReportTrigger] = []
    if (facts.affected_count or 0) >= MANY_AFFECTED:
        reasons.append("affected_1000_or_more")
    if "sensitive" in facts.data_kinds:
        reasons.append("sensitive_data")
    if "unique_identifier" in facts.data_kinds:
        reasons.append("unique_identifier")
    if facts.cause == "outside_access":
        reasons.append("outside_access")
    return reasons


def facts_of(
    leak: Leak | None,
    cause: BreachCause | None,
    affected_count: int | None,
    data_kinds: Sequence[DataKind] | None,
) -> BreachFacts:
    """A new breach notice's facts: every one is required (R-SEC-4, 2026)."""
    missing = [
        name
        for name, value in (
            ("leak", leak),
            ("cause", cause),
            ("affectedCount", affected_count),
            ("dataKinds", data_kinds),
        )
        if value is None
    ]
    if missing:
        raise ValidationFailed(
            "A breach notice records whether the leak is confirmed or possible, its cause, the "
            "affected count and the data kinds.",
            fields=missing,
        )
    return BreachFacts(
        leak=leak,
        cause=cause,
        affected_count=affected_count,
        data_kinds=tuple(dict.fromkeys(data_kinds or [])),
    )


def _authority_check(breach: BreachRecord, now: datetime) -> AuthorityReportCheck | None:
    facts = breach.facts
    if facts.leak is None:
        return None  # recorded before the 2026 rules: the facts to decide on were not kept
    reasons = report_triggers(facts)
    reports = [
        AuthorityReport(
            sequence=r.sequence,
            reported_at=r.reported_at,
            complete=r.complete,
            recorded_at=r.recorded_at,
            recorded_by=r.recorded_by,
        )
        for r in breach.authority_reports
    ]
    first = reports[0].reported_at if reports else None
    complete = any(r.complete for r in reports)
    if not reasons:
        return AuthorityReportCheck(
            due=False, reasons=[], first_reported_at=first, complete=complete, reports=reports
        )
    report_by = parse_iso(breach.known_at) + REPORT_WITHIN
    met = first is not None and parse_iso(first) <= report_by
    return AuthorityReportCheck(
        due=True,
        reasons=reasons,
        report_by=iso(report_by),
        first_reported_at=first,
        met=met,
        overdue=not met and (first is not None or now > report_by),
        complete=complete,
        reports=reports,
    )


def breach_check(
    breach: BreachRecord, state: NoticeState, deliveries: list[DeliveryRecord], now: datetime
) -> BreachCheck:
    known = parse_iso(breach.known_at)
    notify_by = known + NOTIFY_WITHIN
    sent = [parse_iso(d.sent_at) for d in deliveries if d.status == "sent" and d.sent_at]
    in_time = sum(1 for at in sent if at <= notify_by)
    late = len(sent) - in_time
    not_told = len(deliveries) - len(sent)
    facts = breach.facts
    return BreachCheck(
        known_at=iso(known),
        leak=facts.leak,
        cause=facts.cause,
        affected_count=facts.affected_count,
        data_kinds=list(facts.data_kinds),
        notify_by=iso(notify_by),
        told_in_time=in_time,
        told_late=late,
        not_told=not_told,
        every_member_told_in_time=state == "sent" and late == 0 and not_told == 0,
        authority_report=_authority_check(breach, now),
    )


def record_authority_report(
    operator: Caller, notice_id: str, request: AuthorityReportRequest
) -> None:
    """Record a report made to PIPC/KISA (the first, possibly partial, or a follow-up) and the
    facts it states."""
    notice = notices_dal.get(notice_id)
    if notice is None:
        raise NotFound("No such notice.")
    if notice.breach is None:
        raise NotABreachNotice()
    breach = notice.breach
    now = utc_now()
    previous = breach.authority_reports[-1].reported_at if breach.authority_reports else None
    earliest = parse_iso(previous or breach.known_at)
    if not earliest <= request.reported_at <= now:
        raise ValidationFailed(
            "reportedAt is when the report was made: after the breach became known and any "
            "earlier report, and not in the future.",
            fields=["reportedAt"],
        )
    old = breach.facts
    facts = BreachFacts(
        leak=request.leak or old.leak,
        cause=request.cause or old.cause,
        affected_count=(
            request.affected_count if request.affected_count is not None else old.affected_count
        ),
        data_kinds=(
            tuple(dict.fromkeys(request.data_kinds))
            if request.data_kinds is not None
            else old.data_kinds
        ),
    )
    report = AuthorityReportRecord(
        sequence=len(breach.authority_reports) + 1,
        reported_at=iso(request.reported_at),
        complete=request.complete,
        recorded_at=iso(now),
        recorded_by=operator.member_id,
    )
    if not notices_dal.add_authority_report_if_next(notice_id, report, facts):
        raise Conflict("Another report was recorded meanwhile; read the notice and retry.")
    logger.info(
        "breach reported to the authorities",
        extra={"sequence": report.sequence, "complete": report.complete},
    )
