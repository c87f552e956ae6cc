"""The access review (접속기록 점검, R-SEC-2): who accessed how many members' data in a period.

For each operator (and system) actor: how many access records, how many distinct members, and
the days on which they touched more members than the threshold (default 50 a day), flagged for
the privacy officer. The hash chain is verified over every record read, so a review of a
tampered period says so (``chainIntact``).

Reading only the period: records are in ``seq`` order and their ``at`` is taken just before
the append that wins the seq, so ``at`` rises with ``seq`` up to clock skew between writers.
A binary search over seq finds the period's start (about log2(records) single-item queries),
the walk stops a margin past its end, and the margin (``SKEW``) absorbs that skew.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from partnercenter.api import ApiModel
from partnercenter.audit.access_records import record_mac
from partnercenter.clock import iso, parse_iso
from partnercenter.config import get_settings
from partnercenter.dal import access_records
from partnercenter.dal.aws import get_secret
from partnercenter.errors import ValidationFailed

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


class AccessReview(ApiModel):
    period_from: str
    period_to: str
    generated_at: str
    chain_intact: bool
    first_broken_seq: int | None = None
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


def _at(record: dict[str, Any]) -> datetime:
    return parse_iso(str(record["at"]))


def _start_seq(start: datetime) -> int | None:
    """The first seq whose record is at or after ``start`` (less the skew), or None."""
    first = access_records.first_from(0)
    head = access_records.latest()
    if first is None or head is None:
        return None
    target = start - SKEW
    if _at(head) < target:
        return None
    low, high = int(first["seq"]), int(head["seq"])
    while low < high:  # at most log2(high - low) + 1 queries
        middle = (low + high) // 2
        found = access_records.first_from(middle)
        if found is not None and _at(found) >= target:
            high = middle
        else:
            low = middle + 1
    return low


def _never() -> bool:
    return False


def review_period(
    start: datetime, end: datetime, now: datetime, out_of_time: Callable[[], bool] = _never
) -> AccessReview:
    """The review of [start, end], verifying the chain over every record it reads.

    ``out_of_time`` ends the walk early, reported as incomplete.
    """
    if end < start:
        raise ValidationFailed("from must not be after to.", fields=["from", "to"])
    if end - start > MAX_PERIOD:
        raise ValidationFailed("Review at most a year at a time.", fields=["from", "to"])
    settings = get_settings()
    threshold = settings.access_review_daily_threshold
    tallies: dict[str, _Tally] = {}
    intact, first_broken, verified, in_period, complete = True, None, 0, 0, True
    start_seq = _start_seq(start)
    if start_seq is not None:
        key = get_secret(settings.access_chain_secret)
        previous_mac: str | None = None
        expected_seq: int | None = None
        for record in access_records.iterate(start_seq):
            seq = int(record["seq"])
            if previous_mac is None:
                # The walk starts mid-chain: the first record's own link is taken as given.
                previous_mac, expected_seq = str(record.get("prevMac", "")), seq
            if intact and (
                seq != expected_seq
                or record.get("prevMac") != previous_mac
                or record.get("mac") != record_mac(key, previous_mac, record)
            ):
                intact, first_broken = False, seq
            previous_mac, expected_seq = str(record.get("mac", "")), seq + 1
            verified += 1
            at = _at(record)
            if at > end + SKEW:
                break
            if start <= at <= end:
                in_period += 1
                if record.get("actorRole") != MEMBER_ROLE:
                    tally = tallies.setdefault(
                        str(record["actor"]), _Tally(str(record["actorRole"]))
                    )
                    tally.records += 1
                    tally.members.add(str(record["subject"]))
                    tally.by_day[iso(at)[:10]].add(str(record["subject"]))
            if verified >= MAX_RECORDS or out_of_time():
                complete = False
                break
    actors = sorted(
        (tally.activity(actor, threshold) for actor, tally in tallies.items()),
        key=lambda a: (not a.flagged, -a.members, a.actor),
    )
    return AccessReview(
        period_from=iso(start),
        period_to=iso(end),
        generated_at=iso(now),
        chain_intact=intact,
        first_broken_seq=first_broken,
        records_verified=verified,
        records_in_period=in_period,
        complete=complete,
        daily_member_threshold=threshold,
        actors=actors,
        flagged_actors=sum(1 for a in actors if a.flagged),
    )


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


def monthly_review(
    moment: datetime, now: datetime, out_of_time: Callable[[], bool] = _never
) -> AccessReview:
    """The scheduled review of the month before ``moment``; its summary is kept per period."""
    from partnercenter.dal import access_reviews

    period, start, end = previous_month(moment)
    review = review_period(start, end, now, out_of_time)
    access_reviews.put({"period": period, **review.model_dump(by_alias=True)})
    return review
