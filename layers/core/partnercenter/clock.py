"""Time in one place: aware UTC datetimes, the contract's ISO 8601 form, bounded time ranges."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from partnercenter.errors import ValidationFailed


def utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    # Formatted by hand: strftime's %Y drops the zero-padding of years before 1000 on Linux.
    m = moment.astimezone(UTC)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"


def iso(moment: datetime) -> str:
    """``2026-11-24T20:11:23Z``: seconds precision, UTC, sortable as text."""
    return _stamp(moment) + "Z"


def iso_micro(moment: datetime) -> str:
    """``2026-11-24T20:11:23.123456Z``: for sort keys that must keep order within a second."""
    return f"{_stamp(moment)}.{moment.microsecond:06d}Z"


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, held at the calendar's ends instead of overflowing."""
    try:
        return moment + delta
    except OverflowError:
        return (
            datetime.max.replace(tzinfo=UTC)
            if delta > timedelta(0)
            else datetime.min.replace(tzinfo=UTC)
        )


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# Times given by clients before this predate the service: typos (and ``iso`` would write fewer
# than four year digits for years before 1000, which no longer sort or parse).
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)

# ---------------------------------------------------------------- time parameters of queries
# What ``from``/``to`` take: RFC 3339 date-times with four-digit years 1000-9999 (the OpenAPI
# document states the same pattern, so that every schema-valid value is accepted).
DATE_TIME_PATTERN = (
    r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3])"
    r":[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))"
)
# The instants a query can name: an offset at either end of the calendar is clamped here
# rather than overflowing (``0001-01-01T00:00:00+01:00`` has no datetime in UTC).
EARLIEST_QUERYABLE = datetime(1000, 1, 1, tzinfo=UTC)
LATEST_QUERYABLE = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# The longest range one request may name: a year and a day, so a month-partitioned query
# touches at most 13 partitions whatever the client asks for.
MAX_RANGE = timedelta(days=366)


def parse_query_time(text: str, name: str) -> datetime:
    """A ``from``/``to`` value as an aware UTC datetime within the queryable years, or a 422."""
    match = _DATE_TIME.fullmatch(text) if re.fullmatch(DATE_TIME_PATTERN, text) else None
    if match is None:
        raise ValidationFailed(
            f"{name} must be an RFC 3339 time with a year from 1000 to 9999, "
            "e.g. 2026-01-31T00:00:00Z.",
            fields=[name],
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, sign, offset_hours, offset_minutes = match.groups()[6:]
    try:
        local = datetime(
            year,
            month,
            day,
            hour,
            minute,
            min(second, 59),  # a leap second is the end of its minute
            int((fraction or "0")[:6].ljust(6, "0")),
        )
    except ValueError as exc:  # e.g. 2026-02-30
        raise ValidationFailed(f"{name} is not a calendar date.", fields=[name]) from exc
    offset = timedelta(hours=int(offset_hours or 0), minutes=int(offset_minutes or 0))
    if sign == "-":
        offset = -offset
    try:
        moment = (local - offset).replace(tzinfo=UTC)
    except OverflowError:
        return EARLIEST_QUERYABLE if offset > timedelta(0) else LATEST_QUERYABLE
    return min(max(moment, EARLIEST_QUERYABLE), LATEST_QUERYABLE)


def query_range(start: str, end: str) -> tuple[datetime, datetime]:
    """``from`` and ``to`` of a range query: ordered, and at most ``MAX_RANGE`` apart."""
    start_at, end_at = parse_query_time(start, "from"), parse_query_time(end, "to")
    if end_at < start_at:
        raise ValidationFailed("from must not be after to.", fields=["from", "to"])
    if end_at - start_at > MAX_RANGE:
        raise ValidationFailed(
            "A range may span at most 366 days; split it into several requests.",
            fields=["from", "to"],
        )
    return start_at, end_at


def one_year_after(moment: datetime) -> datetime:
    """The same calendar date a year later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)
