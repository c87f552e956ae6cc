"""The purge's scheduled event and its clock (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from partnercenter.retention.purge import ScheduledPurgeEvent, purge_clock
from tests.support import load_event

NOW = datetime(2026, 11, 24, 18, 0, 5, tzinfo=UTC)


def test_scheduler_default_payload_parses_with_its_text_detail() -> None:
    # EventBridge Scheduler sends "detail": "{}" (a string) when the target has no input.
    event = ScheduledPurgeEvent.model_validate(load_event("retention-purge"))
    assert event.source == "aws.scheduler"
    assert event.detail_type == "Scheduled Event"
    assert event.time == datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
    assert event.detail.dry_run is False


def test_dry_run_from_an_eventbridge_rule_or_a_bare_invoke() -> None:
    rule = {**load_event("retention-purge"), "source": "aws.events", "detail": {"dryRun": True}}
    assert ScheduledPurgeEvent.model_validate(rule).detail.dry_run is True
    bare = ScheduledPurgeEvent.model_validate({"detail": {"dryRun": True}})
    assert (bare.detail.dry_run, bare.time) == (True, None)
    assert ScheduledPurgeEvent.model_validate({"detail": '{"dryRun": true}'}).detail.dry_run


def test_a_malformed_detail_is_refused() -> None:
    with pytest.raises(ValidationError):
        ScheduledPurgeEvent.model_validate({"detail": {"dryRun": "sometimes"}})


def test_in_aws_the_clock_never_runs_ahead_of_real_time() -> None:
    later = NOW + timedelta(days=366)
    assert purge_clock(later, local_stack=False, now=NOW) == NOW
    earlier = NOW - timedelta(minutes=3)  # a delayed delivery purges what was due at its time
    assert purge_clock(earlier, local_stack=False, now=NOW) == earlier


def test_in_the_local_stack_the_event_time_is_the_clock() -> None:
    later = NOW + timedelta(days=366)
    assert purge_clock(later, local_stack=True, now=NOW) == later


def test_without_an_event_time_the_clock_is_now_and_naive_times_are_utc() -> None:
    assert purge_clock(None, local_stack=True, now=NOW) == NOW
    naive = datetime(2027, 1, 1, 0, 0)
    assert purge_clock(naive, local_stack=True, now=NOW) == naive.replace(tzinfo=UTC)
