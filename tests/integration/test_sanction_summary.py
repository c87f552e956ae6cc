"""What GET /members/me shows of the member's sanctions is kept on the profile item, written in
the same transaction as each sanction record (issue 17): the profile reads no other table and
shows exactly what SanctionsTable holds (R-COL-5, R-RET-8)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from partnercenter.clock import one_year_after, parse_iso
from partnercenter.config import get_settings
from partnercenter.dal import aws
from partnercenter.dal import members as members_dal
from partnercenter.dal.members import member_key
from partnercenter.retention.purge import Deadline, run_purge
from partnercenter.sanctions.service import member_sanctions, sanctions_of
from tests.integration.retention_support import ActiveMember, make_active_member
from tests.integration.test_sanctions import ABUSE, impose, lift, profile

OTHER = {"reason": "Shared the account with another company."}


def _shown_and_kept(member: ActiveMember) -> tuple[list[Any], list[dict[str, Any]]]:
    """The profile's sanctions, and SanctionsTable's records in the profile's terms (the
    read today's profile would have made)."""
    shown = profile(member).body["sanctions"]
    kept = [
        sanction.model_dump(mode="json", by_alias=True)
        for sanction in sanctions_of(member.member_id, datetime.now(UTC))
    ]
    return shown, kept


@contextmanager
def _tables_queried() -> Iterator[list[str]]:
    """The table of every Query the code sends meanwhile."""
    tables: list[str] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        tables.append(params["TableName"])

    events = aws.client("dynamodb").meta.events
    events.register("provide-client-params.dynamodb.Query", keep)
    try:
        yield tables
    finally:
        events.unregister("provide-client-params.dynamodb.Query", keep)


def _forget_summary(member_id: str) -> None:
    """A profile written before the summary was kept there."""
    aws.client("dynamodb").update_item(
        TableName=get_settings().members_table,
        Key=member_key(member_id),
        UpdateExpression="REMOVE sanctionRecords",
    )


def test_the_profile_shows_what_sanctions_table_holds_without_reading_it(aws_stack) -> None:
    # R-COL-5: the member sees the sanction records kept about them (once they may sign in
    # again: a suspended member's routes answer 403).
    member = make_active_member()
    first = impose(member.member_id, ABUSE).body["sanctionId"]
    second = impose(member.member_id, OTHER).body["sanctionId"]
    lift(member.member_id, second)
    lift(member.member_id, first)
    with _tables_queried() as queried:
        shown = profile(member).body["sanctions"]
    assert get_settings().sanctions_table not in queried
    assert shown == _shown_and_kept(member)[1]
    assert sorted(s["sanctionId"] for s in shown) == sorted([first, second])
    assert all(s["liftedAt"] and not s["inForce"] for s in shown)
    assert {s["reason"] for s in shown} == {ABUSE["reason"], OTHER["reason"]}


def test_a_member_never_sanctioned_shows_none_and_reads_no_sanctions(aws_stack) -> None:
    member = make_active_member()
    with _tables_queried() as queried:
        assert profile(member).body["sanctions"] == []
    assert get_settings().sanctions_table not in queried


def test_a_profile_written_before_the_summary_reads_sanctions_table_until_it_is_rewritten(
    aws_stack,
) -> None:
    member = make_active_member()
    first = impose(member.member_id, ABUSE).body["sanctionId"]
    lift(member.member_id, first)
    _forget_summary(member.member_id)
    with _tables_queried() as queried:
        shown = profile(member).body["sanctions"]
    assert get_settings().sanctions_table in queried
    assert shown == _shown_and_kept(member)[1]
    assert [s["sanctionId"] for s in shown] == [first]
    # The next sanction writes the whole summary, the earlier record included.
    second = impose(member.member_id, OTHER).body["sanctionId"]
    lift(member.member_id, second)
    stored = members_dal.get_member(member.member_id)
    assert stored is not None
    assert sorted(stored.sanction_records or {}) == sorted([first, second])
    with _tables_queried() as queried:
        shown = profile(member).body["sanctions"]
    assert get_settings().sanctions_table not in queried
    assert shown == _shown_and_kept(member)[1]
    assert len(shown) == 2


def test_a_destroyed_record_leaves_the_profile_with_it(aws_stack) -> None:
    # R-RET-8: a year after the sanction, its record and what the profile shows of it go.
    member = make_active_member()
    sanction_id = impose(member.member_id, ABUSE).body["sanctionId"]
    lifted_at = parse_iso(lift(member.member_id, sanction_id).body["liftedAt"])
    due = one_year_after(lifted_at) + timedelta(days=1)
    done = run_purge(due, dry_run=False, run_id="r1", deadline=Deadline(lambda: 60_000))
    assert done.expired_sanction_records == 1
    stored = members_dal.get_member(member.member_id)
    assert stored is not None
    assert stored.sanction_records == {}
    assert profile(member).body["sanctions"] == []


def test_each_sanction_write_keeps_the_profile_equal_to_sanctions_table(aws_stack) -> None:
    member = make_active_member()

    def agree() -> list[Any]:
        now = datetime.now(UTC)
        stored = members_dal.get_member(member.member_id)
        assert stored is not None
        shown = member_sanctions(stored, now)
        assert shown == sanctions_of(member.member_id, now)
        return shown

    first = impose(member.member_id, ABUSE).body["sanctionId"]
    assert [(s.sanction_id, s.in_force) for s in agree()] == [(first, True)]
    second = impose(member.member_id, OTHER).body["sanctionId"]
    assert len(agree()) == 2
    lift(member.member_id, first)
    assert {s.sanction_id: s.in_force for s in agree()} == {first: False, second: True}
    lift(member.member_id, second)
    assert not any(s.in_force for s in agree())


def test_a_summary_past_its_record_s_retention_is_not_shown(aws_stack) -> None:
    # R-RET-8: destroyed a year after the sanction, by the purge or by DynamoDB's TTL.
    member = make_active_member()
    sanction_id = impose(member.member_id, ABUSE).body["sanctionId"]
    lifted_at = parse_iso(lift(member.member_id, sanction_id).body["liftedAt"])
    stored = members_dal.get_member(member.member_id)
    assert stored is not None
    kept_until = one_year_after(lifted_at)
    assert [s.sanction_id for s in member_sanctions(stored, kept_until - timedelta(days=1))] == [
        sanction_id
    ]
    assert member_sanctions(stored, kept_until + timedelta(days=1)) == []
