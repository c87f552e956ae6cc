"""The access review (접속기록 점검, R-SEC-2): who accessed how many members' data in a period.

For each operator (and system) actor: how many access records, how many distinct members, and
the days on which they touched more members than the threshold (default 50 a day), flagged for
the privacy officer. The access chains are verified over every record read, so a review of a
tampered period says so (``chainIntact``) and where (``breaks``: chain, seq, problem).

Reading only the period, from anchors: the walk starts at the last anchor stamped ``SKEW``
before the period (each chain from the head that anchor committed to, so the period's first
records are checked against it, not taken on trust) and ends at the first anchor stamped
``SKEW`` after it (each chain must reach that anchor's head with its MAC, so removing the
period's last records shows). A record's ``at`` is taken just before its write, so ``SKEW``
absorbs write delays and clock skew between writers. Without an anchor before the period the
walk starts at genesis; without one after it, it goes on to each chain's head (``toAnchor``
null: the newest records are not yet anchored).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import Field

from partnercenter.audit.access_records import Problem, verify_range
from partnercenter.clock import iso, iso_micro, parse_iso, shifted
from partnercenter.config import get_settings
from partnercenter.dal import access_anchors
from partnercenter.dal.access_records import AccessRecord
from partnercenter.errors import ValidationFailed
from partnercenter.models import ApiModel
from partnercenter.observability import tracer

SKEW = timedelta(minutes=5)
MAX_RECORDS = 500_000  # one review's walk; beyond it the report says it is incomplete
MAX_PERIOD = timedelta(days=366)
MEMBER_ROLE = "member"  # members reading their own data are not what the review looks for


class ActorActivity(ApiModel):
    actor: str
    role: str
    records: int
    members: int
    busiest_day: str
    busiest_day_members: int
    flagged: bool
    flagged_days: list[str]


class ChainBreak(ApiModel):
    chain: str = Field(description="An access chain (access#k), or anchors.")
    seq: int
    problem: Problem


class AccessReview(ApiModel):
    period_from: str
    period_to: str
    generated_at: str
    chain_intact: bool
    breaks: list[ChainBreak]
    from_anchor: int | None = Field(description="The anchor the walk started from; null: genesis.")
    to_anchor: int | None = Field(
        description="The anchor every chain was verified up to; null: the newest records are "
        "not yet anchored."
    )
    records_verified: int
    records_in_period: int
    complete: bool
    daily_member_threshold: int
    actors: list[ActorActivity]
    flagged_actors: int


@dataclass
class _Tally:
    role: str
    records: int = 0
    members: set[str] = field(default_factory=set)
    by_day: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def activity(self, actor: str, threshold: int) -> ActorActivity:
        flagged_days = sorted(
            day for day, members in self.by_day.items() if len(members) > threshold
        )
        busiest = max(sorted(self.by_day), key=lambda day: len(self.by_day[day]))
        return ActorActivity(
            actor=actor,
            role=self.role,
            records=self.records,
            members=len(self.members),
            busiest_day=busiest,
            busiest_day_members=len(self.by_day[busiest]),
            flagged=bool(flagged_days),
            flagged_days=flagged_days,
        )


@dataclass
class _PeriodCount:
    """Counts the records of [start, end] as verification visits them, per actor."""

    start: datetime
    end: datetime
    in_period: int = 0
    tallies: dict[str, _Tally] = field(default_factory=dict)

    def __call__(self, record: AccessRecord) -> None:
        at = parse_iso(record.at)
        if not self.start <= at <= self.end:
            return
        self.in_period += 1
        if record.actor_role == MEMBER_ROLE:
            return
        actor = self.tallies.setdefault(record.actor, _Tally(record.actor_role))
        actor.records += 1
        actor.members.add(record.subject)
        actor.by_day[iso(at)[:10]].add(record.subject)

    def actors(self, threshold: int) -> list[ActorActivity]:
        """Flagged actors first, then by members reached."""
        return sorted(
            (tally.activity(actor, threshold) for actor, tally in self.tallies.items()),
            key=lambda a: (not a.flagged, -a.members, a.actor),
        )


def _never() -> bool:
    return False


def _check_period(start: datetime, end: datetime) -> None:
    if end < start:
        raise ValidationFailed("from must not be after to.", fields=["from", "to"])
    if end - start > MAX_PERIOD:
        raise ValidationFailed("Review at most a year at a time.", fields=["from", "to"])


def review_period(
    start: datetime, end: datetime, now: datetime, out_of_time: Callable[[], bool] = _never
) -> AccessReview:
    """The review of [start, end], verifying the chain over every record it reads.

    ``out_of_time`` ends the walk early, reported as incomplete.
    """
    _check_period(start, end)
    threshold = get_settings().access_review_daily_threshold
    count = _PeriodCount(start, end)
    report = verify_range(
        access_anchors.last_at_or_before(iso_micro(shifted(start, -SKEW))),
        access_anchors.first_at_or_after(iso_micro(shifted(end, SKEW))),
        count,
        out_of_time,
        MAX_RECORDS,
    )
    actors = count.actors(threshold)
    return AccessReview(
        period_from=iso(start),
        period_to=iso(end),
        generated_at=iso(now),
        chain_intact=report.intact,
        breaks=[ChainBreak(chain=b.chain, seq=b.seq, problem=b.problem) for b in report.breaks],
        from_anchor=report.from_anchor,
        to_anchor=report.to_anchor,
        records_verified=report.records,
        records_in_period=count.in_period,
        complete=report.complete,
        daily_member_threshold=threshold,
        actors=actors,
        flagged_actors=sum(1 for a in actors if a.flagged),
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def review_range(
    start: str, end: str, now: datetime, out_of_time: Callable[[], bool] = _never
) -> AccessReview:
    """``GET /admin/access-review?from&to``."""
    try:
        start_at, end_at = parse_iso(start), parse_iso(end)
    except ValueError as exc:
        raise ValidationFailed(
            "from and to must be ISO 8601 times.", fields=["from", "to"]
        ) from exc
    return review_period(start_at, end_at, now, out_of_time)


def previous_month(moment: datetime) -> tuple[str, datetime, datetime]:
    """The calendar month (UTC) before ``moment``'s: its name, first and last second."""
    first_of_this = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_second = first_of_this - timedelta(seconds=1)
    first = last_second.replace(day=1, hour=0, minute=0, second=0)
    return first.strftime("%Y-%m"), first, last_second


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def monthly_review(
    moment: datetime, now: datetime, out_of_time: Callable[[], bool] = _never
) -> AccessReview:
    """The scheduled review of the month before ``moment``; its summary is kept per period.

    It anchors first: run after the month's end plus ``SKEW``, that anchor closes the month."""
    from partnercenter.audit.anchors import write_anchor
    from partnercenter.dal import access_reviews
    from partnercenter.dal.access_reviews import AccessReviewRecord

    write_anchor(now)
    period, start, end = previous_month(moment)
    review = review_period(start, end, now, out_of_time)
    access_reviews.put(AccessReviewRecord(period, review.model_dump(by_alias=True)))
    return review
