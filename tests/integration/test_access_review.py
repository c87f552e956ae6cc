"""The access review (R-SEC-2): per operator, members accessed, unusual volumes, chain verified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from partnercenter.audit.access_records import GENESIS, record_access, sign
from partnercenter.audit.anchors import write_anchor
from partnercenter.audit.review import review_period
from partnercenter.clock import iso, iso_micro
from partnercenter.config import get_settings
from partnercenter.dal import access_records
from partnercenter.dal.access_records import AccessRecord
from partnercenter.dal.aws import get_secret
from tests.integration.rights_helpers import OPERATOR, active_member
from tests.support import LambdaContext, api_event, call, claims_for, handler_module, load_event

CHAIN = "access#0"
NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))


def _append(at: datetime, actor: str, subject: str, role: str = "operator") -> int:
    """One chained access record at a chosen time, exactly as record_access shapes it (all on
    one chain: the tests here are about the review, the chains' spread is tested elsewhere)."""
    key = get_secret(get_settings().access_chain_secret)
    head = access_records.latest(CHAIN)
    record = AccessRecord(
        chain=CHAIN,
        seq=head.seq + 1 if head else 1,
        at=iso_micro(at),
        actor=actor,
        actor_role=role,
        subject=subject,
        action="view_profile",
        source_ip="203.0.113.10",
        prev_mac=head.mac if head else GENESIS,
    )
    assert access_records.append(sign(key, record))
    return record.seq


def _review(start: datetime, end: datetime):
    return review_period(start, end, datetime.now(UTC))


def test_an_operator_over_fifty_members_a_day_is_flagged(aws_stack) -> None:
    # R-SEC-2: unusual volumes (over 50 members a day) are flagged for the privacy officer.
    busy_day = datetime(2026, 11, 10, 9, tzinfo=UTC)
    for i in range(51):
        _append(busy_day + timedelta(minutes=i), "op-busy", f"subj-{i}")
    for i in range(3):
        _append(busy_day + timedelta(hours=2, minutes=i), "op-calm", f"subj-{i}")
        _append(busy_day + timedelta(hours=2, minutes=i), f"member-{i}", f"subj-{i}", "member")
    review = _review(*NOVEMBER)
    assert review.chain_intact is True
    assert (review.records_in_period, review.records_verified) == (57, 57)
    by_actor = {a.actor: a for a in review.actors}
    assert set(by_actor) == {"op-busy", "op-calm"}  # members reading their own data are not counted
    busy, calm = by_actor["op-busy"], by_actor["op-calm"]
    assert (busy.flagged, busy.flagged_days, busy.members, busy.records) == (
        True,
        ["2026-11-10"],
        51,
        51,
    )
    assert (calm.flagged, calm.members, calm.busiest_day_members) == (False, 3, 3)
    assert review.actors[0].actor == "op-busy"  # flagged first
    assert review.flagged_actors == 1


def test_the_threshold_is_configuration(aws_stack, monkeypatch) -> None:
    monkeypatch.setenv("ACCESS_REVIEW_DAILY_THRESHOLD", "2")
    get_settings.cache_clear()
    for i in range(3):
        _append(datetime(2026, 11, 3, 10, i, tzinfo=UTC), "op-calm", f"subj-{i}")
    review = _review(*NOVEMBER)
    assert (review.daily_member_threshold, review.flagged_actors) == (2, 1)


def test_only_the_period_is_read(aws_stack) -> None:
    # R-SEC-2: a month's review reads that month, from the anchor before it to the one after.
    start = datetime(2026, 10, 1, 12, tzinfo=UTC)
    anchors = [datetime(2026, 10, 31, 23, tzinfo=UTC), datetime(2026, 12, 1, 1, tzinfo=UTC)]
    for day in range(92):  # Oct 1 .. Dec 31, one record a day at noon
        while anchors and anchors[0] < start + timedelta(days=day):
            write_anchor(anchors.pop(0))  # hourly anchors, around November
        _append(start + timedelta(days=day), "op-1", f"subj-{day}")
    review = _review(*NOVEMBER)
    assert review.records_in_period == 30
    assert review.records_verified == 30  # between the anchors: November alone
    assert (review.from_anchor, review.to_anchor) == (1, 2)
    assert review.actors[0].members == 30
    assert review.chain_intact is True
    later = _review(datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 31, tzinfo=UTC))
    # From the last anchor through the chain's head: December, not yet anchored.
    assert (later.records_verified, later.actors, later.from_anchor, later.to_anchor) == (
        31,
        [],
        2,
        None,
    )


def test_a_record_altered_in_the_period_shows(aws_stack) -> None:
    # R-SEC-2: tamper-evident - the review reports where the chain breaks.
    seqs = [_append(datetime(2026, 11, 5 + i, tzinfo=UTC), "op-1", f"subj-{i}") for i in range(5)]
    aws_stack.client("dynamodb").update_item(
        TableName=aws_stack.physical_id("AccessRecordsTable"),
        Key={"chain": {"S": CHAIN}, "seq": {"N": str(seqs[2])}},
        UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": {"S": "op-innocent"}},
    )
    review = _review(*NOVEMBER)
    assert review.chain_intact is False
    assert [(b.chain, b.seq, b.problem) for b in review.breaks] == [(CHAIN, seqs[2], "altered")]


def test_a_record_removed_in_the_period_shows(aws_stack) -> None:
    seqs = [_append(datetime(2026, 11, 5 + i, tzinfo=UTC), "op-1", f"subj-{i}") for i in range(5)]
    aws_stack.client("dynamodb").delete_item(
        TableName=aws_stack.physical_id("AccessRecordsTable"),
        Key={"chain": {"S": CHAIN}, "seq": {"N": str(seqs[2])}},
    )
    review = _review(*NOVEMBER)
    assert review.chain_intact is False
    assert [(b.chain, b.seq, b.problem) for b in review.breaks] == [(CHAIN, seqs[2], "missing")]


def test_the_route_reviews_what_operators_did_today(aws_stack) -> None:
    # R-SEC-2: real operator views (record_access through the routes) show in the review.
    member = active_member()
    call("rights", api_event("rights-file-request", body={"kind": "view"}, claims=member.claims))
    call("rights", api_event("admin-list-privacy-requests", claims=OPERATOR))
    now = datetime.now(UTC)
    result = call(
        "access_review",
        api_event(
            "admin-access-review",
            claims=OPERATOR,
            query={"from": iso(now - timedelta(hours=1)), "to": iso(now + timedelta(minutes=1))},
        ),
    )
    assert result.status == 200, result.body
    assert result.body["chainIntact"] is True
    operators = [a for a in result.body["actors"] if a["role"] == "operator"]
    assert [(a["actor"], a["members"]) for a in operators] == [(OPERATOR["sub"], 1)]
    assert member.member_id not in str(result.body)  # subjects are counted, never listed


@pytest.mark.parametrize(
    ("claims", "query", "status"),
    [
        (
            claims_for("member-1"),
            {"from": "2026-11-01T00:00:00Z", "to": "2026-11-30T00:00:00Z"},
            403,
        ),
        (OPERATOR, {"from": "2026-11-30T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, 422),
        (OPERATOR, {"from": "yesterday", "to": "2026-11-01T00:00:00Z"}, 422),
        (OPERATOR, {"from": "2024-01-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, 422),
        (OPERATOR, {"from": "2026-11-01T00:00:00Z"}, 422),
    ],
)
def test_the_route_checks_its_caller_and_period(aws_stack, claims, query, status) -> None:
    result = call("access_review", api_event("admin-access-review", claims=claims, query=query))
    assert result.status == status


def test_the_monthly_schedule_anchors_reviews_the_previous_month_and_keeps_it(aws_stack) -> None:
    # R-SEC-2: a monthly schedule anchors the chains, then produces the review; its summary
    # (no personal data) is kept.
    for month in (10, 11, 12):
        _append(datetime(2026, month, 20, tzinfo=UTC), "op-1", f"subj-{month}")
    report = handler_module("access_anchor").lambda_handler(
        load_event("access-review-monthly"), LambdaContext()
    )
    assert (report["periodFrom"], report["periodTo"]) == (
        "2026-11-01T00:00:00Z",
        "2026-11-30T23:59:59Z",
    )
    assert report["recordsInPeriod"] == 1
    anchor = aws_stack.client("dynamodb").get_item(
        TableName=aws_stack.physical_id("AccessAnchorsTable"),
        Key={"series": {"S": "access"}, "seq": {"N": "1"}},
    )["Item"]
    assert anchor["heads"]["M"][CHAIN]["M"]["seq"] == {"N": "3"}
    stored = aws_stack.client("dynamodb").get_item(
        TableName=aws_stack.physical_id("AccessReviewsTable"), Key={"period": {"S": "2026-11"}}
    )["Item"]
    assert stored["chainIntact"] == {"BOOL": True}
    assert stored["actors"]["L"][0]["M"]["actor"] == {"S": "op-1"}


def test_the_hourly_schedule_anchors_and_reports_a_cut_since_the_last_anchor(aws_stack) -> None:
    # R-SEC-2: the hourly run writes the next anchor and says what changed under the last one.
    hourly = handler_module("access_anchor").lambda_handler
    for i in range(3):
        _append(datetime(2026, 11, 5 + i, tzinfo=UTC), "op-1", f"subj-{i}")
    first = hourly(load_event("access-anchor-hourly"), LambdaContext())
    assert (first["anchor"], first["records"], first["breaks"]) == (1, 3, [])
    aws_stack.client("dynamodb").delete_item(
        TableName=aws_stack.physical_id("AccessRecordsTable"),
        Key={"chain": {"S": CHAIN}, "seq": {"N": "3"}},
    )
    second = hourly(load_event("access-anchor-hourly"), LambdaContext())
    assert (second["anchor"], second["records"]) == (2, 2)
    assert second["breaks"] == [{"chain": CHAIN, "seq": 3, "problem": "missing"}]


def test_record_access_and_the_review_agree_on_the_mac(aws_stack) -> None:
    # The review verifies records exactly as record_access writes them.
    member = active_member()
    record_access(actor="op-9", actor_role="operator", member_id=member.member_id, action="x")
    now = datetime.now(UTC)
    review = _review(now - timedelta(minutes=5), now + timedelta(minutes=1))
    assert review.chain_intact
    assert [a.actor for a in review.actors] == ["op-9"]


def test_a_walk_out_of_time_says_it_is_incomplete(aws_stack) -> None:
    for i in range(3):
        _append(datetime(2026, 11, 5 + i, tzinfo=UTC), "op-1", f"subj-{i}")
    review = review_period(*NOVEMBER, datetime.now(UTC), out_of_time=lambda: True)
    assert (review.complete, review.records_verified) == (False, 1)
    assert _review(*NOVEMBER).complete is True
