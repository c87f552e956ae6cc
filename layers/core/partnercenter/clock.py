"""Time in one place: aware UTC datetimes and the contract's ISO 8601 form."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """``2026-11-24T20:11:23Z``: seconds precision, UTC, sortable as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(moment: datetime) -> str:
    """``2026-11-24T20:11:23.123456Z``: for sort keys that must keep order within a second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# Times given by clients before this predate the service: typos (and ``iso`` would write fewer
# than four year digits for years before 1000, which no longer sort or parse).
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
