"""Pure rules of sanctions and notices: when a member is suspended, how long records are kept,
what a notice's message holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from partnercenter.dal.members import MemberRecord
from partnercenter.dal.notices import NoticeRecord
from partnercenter.dal.sanctions import SanctionRecord
from partnercenter.dal.sms import korean_mobile_e164
from partnercenter.notices.campaigns import compose
from partnercenter.sanctions.rules import effective_end, is_suspended, record_expiry_epoch
from tests.unit.records import a_member_record

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


# R-COL-5
def test_a_member_is_suspended_only_while_a_sanction_is_in_force() -> None:
    def member(**entries: dict[str, str]) -> MemberRecord:
        return a_member_record(sanctions=entries)

    assert not is_suspended(member(), NOW)
    assert is_suspended(member(a={"startsAt": "2026-11-01T00:00:00Z"}), NOW)  # open
    assert is_suspended(
        member(a={"startsAt": "2026-11-01T00:00:00Z", "endsAt": "2026-11-24T12:00:01Z"}), NOW
    )
    ended = {"startsAt": "2026-11-01T00:00:00Z", "endsAt": "2026-11-24T12:00:00Z"}
    assert not is_suspended(member(a=ended), NOW)  # the end itself is free again
    assert not is_suspended(member(a={"startsAt": "2026-11-25T00:00:00Z"}), NOW)
    assert is_suspended(member(a=ended, b={"startsAt": "2026-01-01T00:00:00Z"}), NOW)


# R-RET-8
def test_a_record_is_kept_a_year_after_the_earliest_end() -> None:
    opened = SanctionRecord(
        member_id="m",
        sanction_id="s",
        reason="r",
        starts_at="2026-01-01T00:00:00Z",
        created_at="2026-01-01T00:00:00Z",
        created_by="op",
    )
    record = replace(opened, ends_at="2026-12-31T00:00:00Z", lifted_at="2026-06-01T00:00:00Z")
    end = effective_end(record)
    assert end == datetime(2026, 6, 1, tzinfo=UTC)
    assert record_expiry_epoch(end) == int(datetime(2027, 6, 1, tzinfo=UTC).timestamp())
    assert effective_end(opened) is None  # open: kept while open


# R-SEC-4, R-SEC-3
def test_a_message_holds_the_notice_only_and_numbers_are_e164() -> None:
    notice = NoticeRecord(
        notice_id="n",
        kind="breach",
        subject="유출 안내",
        body="연락처가 노출되었습니다.",
        audience="all_active",
        created_at="2026-11-24T12:00:00Z",
        created_by="operator",
    )
    assert compose(notice) == "[티켓파트너센터] 유출 안내\n연락처가 노출되었습니다."
    assert korean_mobile_e164("01012345678") == "+821012345678"
