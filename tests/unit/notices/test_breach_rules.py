"""The 2026 breach rules (R-SEC-4, Law 21445): when a report to PIPC/KISA is due, by when, and
whether the members' and the authorities' deadlines were met."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from partnercenter.clock import iso
from partnercenter.dal.notices import (
    AuthorityReportRecord,
    BreachFacts,
    BreachRecord,
    DeliveryRecord,
)
from partnercenter.notices.breaches import breach_check, report_triggers

KNOWN = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def facts(**change: object) -> BreachFacts:
    """An insider's loss of 10 records of name and phone: no trigger at all."""
    values: dict[str, object] = {
        "leak": "confirmed",
        "cause": "insider",
        "affected_count": 10,
        "data_kinds": ("name", "phone"),
    }
    values.update(change)
    return BreachFacts(**values)  # type: ignore[arg-type]


def report(at: datetime, sequence: int = 1, complete: bool = False) -> AuthorityReportRecord:
    return AuthorityReportRecord(
        sequence=sequence,
        reported_at=iso(at),
        complete=complete,
        recorded_at=iso(at),
        recorded_by="operator",
    )


def delivery(sent_at: datetime | None) -> DeliveryRecord:
    return DeliveryRecord(
        notice_id="n",
        subject="s",
        channel="sms",
        status="sent" if sent_at else "failed",
        attempted_at=iso(KNOWN),
        sent_at=iso(sent_at) if sent_at else None,
    )


# R-SEC-4 (2026): an insider's loss of 10 non-sensitive records needs no authority report
def test_an_insider_loss_of_ten_ordinary_records_needs_no_report() -> None:
    assert report_triggers(facts()) == []
    assert report_triggers(facts(cause="loss")) == []
    assert report_triggers(facts(cause="tampering", affected_count=999)) == []
    check = breach_check(BreachRecord(iso(KNOWN), facts()), "sent", [], KNOWN)
    assert check.authority_report is not None
    assert (check.authority_report.due, check.authority_report.report_by) == (False, None)
    assert check.authority_report.met is None
    assert check.authority_report.overdue is False


# R-SEC-4 (2026): 1,000 or more people affected
def test_a_thousand_affected_makes_a_report_due() -> None:
    assert report_triggers(facts(affected_count=1000)) == ["affected_1000_or_more"]
    assert report_triggers(facts(affected_count=999)) == []


# R-SEC-4 (2026): sensitive data leaked, however few people
def test_sensitive_data_makes_a_report_due() -> None:
    assert report_triggers(facts(affected_count=1, data_kinds=("sensitive",))) == ["sensitive_data"]


# R-SEC-4 (2026): unique-identifier data leaked, however few people
def test_a_unique_identifier_makes_a_report_due() -> None:
    assert report_triggers(facts(affected_count=1, data_kinds=("unique_identifier",))) == [
        "unique_identifier"
    ]


# R-SEC-4 (2026): outside unlawful access, whatever leaked and however few
@pytest.mark.parametrize("leak", ["confirmed", "possible"])
def test_outside_access_makes_a_report_due_even_for_a_possible_leak(leak: str) -> None:
    assert report_triggers(facts(cause="outside_access", affected_count=1, leak=leak)) == [
        "outside_access"
    ]


# R-SEC-4 (2026): every trigger that holds is named
def test_every_trigger_that_holds_is_named() -> None:
    assert report_triggers(
        facts(
            cause="outside_access",
            affected_count=5000,
            data_kinds=("sensitive", "unique_identifier"),
        )
    ) == ["affected_1000_or_more", "sensitive_data", "unique_identifier", "outside_access"]


# R-SEC-4 (2026): a report within 72 hours of learning of it meets the deadline, even partial
def test_a_partial_first_report_within_72_hours_meets_the_deadline() -> None:
    breach = BreachRecord(
        iso(KNOWN),
        facts(cause="outside_access"),
        (report(KNOWN + timedelta(hours=71)), report(KNOWN + timedelta(days=9), 2, True)),
    )
    check = breach_check(breach, "sent", [], KNOWN + timedelta(days=10))
    authority = check.authority_report
    assert authority is not None
    assert authority.report_by == iso(KNOWN + timedelta(hours=72))
    assert authority.first_reported_at == iso(KNOWN + timedelta(hours=71))
    assert (authority.due, authority.met, authority.overdue, authority.complete) == (
        True,
        True,
        False,
        True,
    )
    assert [r.sequence for r in authority.reports] == [1, 2]


# R-SEC-4 (2026): a first report after 72 hours misses the deadline
def test_a_first_report_after_72_hours_misses_the_deadline() -> None:
    breach = BreachRecord(
        iso(KNOWN), facts(affected_count=1000), (report(KNOWN + timedelta(hours=73)),)
    )
    authority = breach_check(breach, "sent", [], KNOWN + timedelta(days=4)).authority_report
    assert authority is not None
    assert (authority.met, authority.overdue, authority.complete) == (False, True, False)


# R-SEC-4 (2026): no report yet is overdue only once the 72 hours have passed
def test_no_report_is_overdue_only_after_72_hours() -> None:
    breach = BreachRecord(iso(KNOWN), facts(data_kinds=("sensitive",)))
    before = breach_check(breach, "sent", [], KNOWN + timedelta(hours=71)).authority_report
    after = breach_check(breach, "sent", [], KNOWN + timedelta(hours=73)).authority_report
    assert before is not None
    assert after is not None
    assert (before.met, before.overdue) == (False, False)
    assert (after.met, after.overdue) == (False, True)


# R-SEC-4: every member told within 72 hours meets the members' deadline; one late misses it
def test_the_members_deadline_is_met_only_when_every_member_was_told_in_time() -> None:
    breach = BreachRecord(iso(KNOWN), facts())
    in_time = [delivery(KNOWN + timedelta(hours=1)), delivery(KNOWN + timedelta(hours=72))]
    met = breach_check(breach, "sent", in_time, KNOWN)
    late = breach_check(breach, "sent", [*in_time, delivery(KNOWN + timedelta(hours=73))], KNOWN)
    failed = breach_check(breach, "sent", [*in_time, delivery(None)], KNOWN)
    assert met.notify_by == iso(KNOWN + timedelta(hours=72))
    assert (met.told_in_time, met.every_member_told_in_time) == (2, True)
    assert (late.told_late, late.every_member_told_in_time) == (1, False)
    assert (failed.not_told, failed.every_member_told_in_time) == (1, False)
    assert breach_check(breach, "sending", in_time, KNOWN).every_member_told_in_time is False


# R-SEC-4: a notice recorded before the 2026 rules has no facts to decide a report on
def test_a_notice_from_before_the_2026_rules_shows_no_authority_check() -> None:
    old = BreachRecord(iso(KNOWN), BreachFacts(None, None, None, ()))
    assert breach_check(old, "sent", [], KNOWN).authority_report is None
