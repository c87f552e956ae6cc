"""Tampering with access records always shows, at a named place (R-SEC-2).

The records are written as record_access writes them (same shape, same MAC), on a chain the
test chooses, so that the first, a middle and the last record of one chain can be tampered
with; anchors come from the anchoring job itself (write_anchor)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partnercenter.audit.access_records import (
    GENESIS,
    Break,
    chain_names,
    record_access,
    sign,
    verify_chain,
)
from partnercenter.audit.anchors import write_anchor
from partnercenter.audit.review import review_period
from partnercenter.clock import iso_micro
from partnercenter.config import get_settings
from partnercenter.dal import access_anchors, access_records
from partnercenter.dal.access_records import AccessRecord
from partnercenter.dal.aws import get_secret
from tests.integration.rights_helpers import active_member

CHAIN = "access#3"
START = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _key() -> str:
    return get_secret(get_settings().access_chain_secret)


def _append(chain: str, at: datetime, actor: str = "op-1", subject: str = "subj-1") -> int:
    head = access_records.latest(chain)
    record = AccessRecord(
        chain=chain,
        seq=head.seq + 1 if head else 1,
        at=iso_micro(at),
        actor=actor,
        actor_role="operator",
        subject=subject,
        action="view_profile",
        source_ip="203.0.113.10",
        prev_mac=head.mac if head else GENESIS,
    )
    assert access_records.append(sign(_key(), record))
    return record.seq


def _five_anchored(aws_stack: Any) -> None:
    """Five records on CHAIN and two on another, then an anchor over both."""
    for i in range(5):
        _append(CHAIN, START + timedelta(minutes=i))
    for i in range(2):
        _append("access#7", START + timedelta(minutes=i))
    write_anchor(START + timedelta(hours=1))


def _table(aws_stack: Any) -> str:
    return aws_stack.physical_id("AccessRecordsTable")


def _delete(aws_stack: Any, chain: str, seq: int) -> None:
    aws_stack.client("dynamodb").delete_item(
        TableName=_table(aws_stack), Key={"chain": {"S": chain}, "seq": {"N": str(seq)}}
    )


def _rewrite(aws_stack: Any, chain: str, seq: int) -> None:
    """Blame someone else, without the chain key."""
    aws_stack.client("dynamodb").update_item(
        TableName=_table(aws_stack),
        Key={"chain": {"S": chain}, "seq": {"N": str(seq)}},
        UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": {"S": "op-innocent"}},
    )


def test_untouched_chains_verify_against_their_anchor(aws_stack) -> None:
    # R-SEC-2: records written the real way, anchored, verify with every record counted.
    member = active_member()
    before = verify_chain().records
    for _ in range(20):
        record_access(actor="op-9", actor_role="operator", member_id=member.member_id, action="x")
    anchor = write_anchor(datetime.now(UTC))
    report = verify_chain()
    assert (report.intact, report.breaks, report.complete) == (True, (), True)
    assert report.records == anchor.records == before + 20
    assert anchor.breaks == ()


@pytest.mark.parametrize(("where", "seq"), [("first", 1), ("middle", 3), ("last", 5)])
def test_a_deleted_record_shows_where_it_was(aws_stack, where: str, seq: int) -> None:
    # R-SEC-2: the first and the last record included - the anchor fixes both ends.
    _five_anchored(aws_stack)
    _delete(aws_stack, CHAIN, seq)
    assert verify_chain().breaks == (Break(CHAIN, seq, "missing"),)


@pytest.mark.parametrize(("where", "seq"), [("first", 1), ("middle", 3), ("last", 5)])
def test_a_rewritten_record_shows_where_it_is(aws_stack, where: str, seq: int) -> None:
    # R-SEC-2
    _five_anchored(aws_stack)
    _rewrite(aws_stack, CHAIN, seq)
    assert verify_chain().breaks == (Break(CHAIN, seq, "altered"),)


def test_an_attribute_added_to_a_record_shows(aws_stack) -> None:
    # R-SEC-2: the MAC covers the item as stored, not only the fields the code knows.
    _five_anchored(aws_stack)
    aws_stack.client("dynamodb").update_item(
        TableName=_table(aws_stack),
        Key={"chain": {"S": CHAIN}, "seq": {"N": "2"}},
        UpdateExpression="SET note = :n",
        ExpressionAttributeValues={":n": {"S": "approved by the CPO"}},
    )
    assert verify_chain().breaks == (Break(CHAIN, 2, "altered"),)


def test_a_rewrite_by_a_holder_of_the_chain_key_shows_at_the_anchored_head(aws_stack) -> None:
    # R-SEC-2: re-MACing the rest of the chain is consistent, but not with the anchor.
    _five_anchored(aws_stack)
    second = access_records.get(CHAIN, 2)
    assert second is not None
    previous_mac = second.mac
    for seq in range(3, 6):
        stored = access_records.get(CHAIN, seq)
        assert stored is not None
        record = sign(_key(), replace(stored, prev_mac=previous_mac, actor="op-x"))
        previous_mac = record.mac
        _delete(aws_stack, CHAIN, seq)
        assert access_records.append(record)
    assert verify_chain().breaks == (Break(CHAIN, 5, "not_as_anchored"),)


def test_a_truncated_chain_shows_where_it_was_cut(aws_stack) -> None:
    # R-SEC-2: cutting the newest records off, and anchoring after the cut, still shows.
    _five_anchored(aws_stack)
    for seq in (3, 4, 5):
        _delete(aws_stack, CHAIN, seq)
    assert verify_chain().breaks == (Break(CHAIN, 3, "missing"),)
    # The next hourly anchor sees the cut at once, and commits to the shorter chain...
    after = write_anchor(START + timedelta(hours=2))
    assert after.breaks == (Break(CHAIN, 5, "missing"),)
    # ...which does not hide it: the earlier anchor still says the chain reached 5.
    assert verify_chain().breaks == (Break(CHAIN, 3, "missing"),)


def test_a_whole_chain_deleted_shows(aws_stack) -> None:
    # R-SEC-2
    _five_anchored(aws_stack)
    for seq in (1, 2):
        _delete(aws_stack, "access#7", seq)
    assert verify_chain().breaks == (Break("access#7", 1, "missing"),)


def test_an_untouched_chain_beside_a_broken_one_still_verifies(aws_stack) -> None:
    _five_anchored(aws_stack)
    _rewrite(aws_stack, "access#7", 2)
    report = verify_chain()
    assert report.breaks == (Break("access#7", 2, "altered"),)
    assert report.records == 5 + 1  # CHAIN in full, access#7 up to its break


def test_records_after_the_last_anchor_are_verified_but_not_yet_anchored(aws_stack) -> None:
    _five_anchored(aws_stack)
    _append(CHAIN, START + timedelta(hours=2))
    report = verify_chain()
    assert (report.intact, report.records, report.to_anchor) == (True, 8, None)
    _rewrite(aws_stack, CHAIN, 6)
    assert verify_chain().breaks == (Break(CHAIN, 6, "altered"),)


def test_an_altered_or_missing_anchor_shows(aws_stack) -> None:
    # R-SEC-2: anchors are chained too, in case someone gets write access to them.
    _five_anchored(aws_stack)
    write_anchor(START + timedelta(hours=2))
    write_anchor(START + timedelta(hours=3))
    anchors = aws_stack.physical_id("AccessAnchorsTable")
    dynamodb = aws_stack.client("dynamodb")
    dynamodb.update_item(
        TableName=anchors,
        Key={"series": {"S": "access"}, "seq": {"N": "2"}},
        UpdateExpression="SET heads.#c.seq = :s",
        ExpressionAttributeNames={"#c": CHAIN},
        ExpressionAttributeValues={":s": {"N": "3"}},
    )
    assert verify_chain().breaks[0] == Break("anchors", 2, "altered")
    dynamodb.delete_item(TableName=anchors, Key={"series": {"S": "access"}, "seq": {"N": "2"}})
    assert verify_chain().breaks[0] == Break("anchors", 2, "missing")


def test_anchors_are_only_ever_added(aws_stack) -> None:
    # R-SEC-2: a second anchor with a taken seq is refused, never written over the first.
    write_anchor(START)
    first = access_anchors.latest()
    assert first is not None
    assert access_anchors.put_new(replace(first, heads={})) is False
    assert access_anchors.latest() == first


def _two_months() -> None:
    """One record a day at noon on CHAIN from Oct 1 to Dec 31, and the anchors the schedule
    writes around each month's end: the hourly one at 23:00 and the monthly run's at 00:10."""
    noon = datetime(2026, 10, 1, 12, tzinfo=UTC)
    for i in range(92):
        _append(CHAIN, noon + timedelta(days=i), subject=f"subj-{i}")
        next_day = (noon + timedelta(days=i + 1)).replace(hour=0)
        if next_day.day == 1:
            write_anchor(next_day - timedelta(hours=1))
            write_anchor(next_day + timedelta(minutes=10))


NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))


def test_the_review_walks_from_the_previous_anchor_to_the_next(aws_stack) -> None:
    # R-SEC-2: only November's records (and none before) are read, between two anchors.
    _two_months()
    review = review_period(*NOVEMBER, datetime.now(UTC))
    assert (review.chain_intact, review.from_anchor, review.to_anchor) == (True, 1, 4)
    assert (review.records_in_period, review.records_verified) == (30, 30)


@pytest.mark.parametrize(("where", "seq"), [("first", 32), ("last", 61)])
def test_the_review_sees_the_period_s_first_and_last_record_deleted(
    aws_stack, where: str, seq: int
) -> None:
    # R-SEC-2: the first record of the period is checked against the previous anchor, not
    # taken on trust; the last against the next one.
    _two_months()
    _delete(aws_stack, CHAIN, seq)  # Oct has 31 records: Nov is 32..61
    review = review_period(*NOVEMBER, datetime.now(UTC))
    assert review.chain_intact is False
    assert [(b.chain, b.seq, b.problem) for b in review.breaks] == [(CHAIN, seq, "missing")]


def test_the_review_counts_every_chain(aws_stack) -> None:
    for k, chain in enumerate(chain_names()[:4]):
        for i in range(k + 1):
            _append(chain, datetime(2026, 11, 10, 9, i, tzinfo=UTC), actor=f"op-{k}")
    write_anchor(datetime(2026, 12, 1, 0, 10, tzinfo=UTC))
    review = review_period(*NOVEMBER, datetime.now(UTC))
    assert (review.chain_intact, review.records_in_period, review.to_anchor) == (True, 10, 1)
    assert {a.actor: a.records for a in review.actors} == {
        "op-0": 1,
        "op-1": 2,
        "op-2": 3,
        "op-3": 4,
    }
