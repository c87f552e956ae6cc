"""The retention purge against moto built from the template: lifecycle, races, faults, expiries."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from partnercenter.clock import iso, parse_iso, utc_now
from partnercenter.config import get_settings
from partnercenter.dal import usage_records
from partnercenter.dal.aws import client
from partnercenter.dal.codec import to_item
from partnercenter.dal.retained import due_shard
from partnercenter.hashing import subject_pseudonym
from partnercenter.retention import purge
from partnercenter.retention.purge import Deadline, PurgeReport, run_purge
from tests import retained_seed as rs
from tests.integration.retention_support import make_active_member, pitr_days, withdraw
from tests.support import LambdaContext, api_event, call, handler_module, load_event

DAY = timedelta(days=1)


class InjectedFault(Exception):
    pass


@pytest.fixture
def t0() -> datetime:
    """The withdrawal time: now, to the second (destruction records are stamped at real time)."""
    return utc_now().replace(microsecond=0)


def _purge(as_of: datetime, *, dry_run: bool = False, deadline: Deadline | None = None) -> Any:
    return run_purge(
        as_of,
        dry_run=dry_run,
        run_id=f"run-{uuid.uuid4()}",
        deadline=deadline or Deadline(lambda: 60_000),
    )


def _on(operation: str, handler: Callable[..., Any], when: str = "before-call") -> None:
    client("dynamodb").meta.events.register(f"{when}.dynamodb.{operation}", handler)


def _retained_state(member_id: str) -> tuple[bool, bool, int]:
    """(record present, data key present, hold rows)."""
    return (
        rs.retained_record(member_id) is not None,
        rs.retained_key_exists(member_id),
        len(rs.holds(member_id)),
    )


_PARAMS = "provide-client-params"  # fires before the call, with the API parameters


def _subjects_in(params: dict[str, Any]) -> int:
    """How many subjects a purge transaction destroys: one destruction record each."""
    return sum("Put" in entry for entry in params["TransactItems"])


def _records_by_subject(kind: str = "retained_data") -> Counter[str]:
    return Counter(r["subject"] for r in rs.destruction_records() if r["kind"] == kind)


def _withdrawn_member() -> tuple[str, str, str]:
    """A member withdrawn through the real route: (member id, name, phone)."""
    member = make_active_member()
    assert withdraw(member).status == 200
    return member.member_id, member.name, member.phone


def _add_hold(member_id: str, body: dict[str, Any]) -> str:
    result = call(
        "holds", api_event("admin-add-hold", body=body, path_params={"memberId": member_id})
    )
    assert result.status == 201, result.body
    return str(result.body["holdId"])


def _release(member_id: str, hold_id: str) -> None:
    result = call(
        "holds",
        api_event("admin-release-hold", path_params={"memberId": member_id, "holdId": hold_id}),
    )
    assert result.status == 200, result.body


def test_retained_data_stays_for_the_year_then_is_shredded_and_recorded(aws_stack, t0) -> None:
    # R-RET-2: name and phone stay one year after withdrawal.
    member, name, phone = _withdrawn_member()

    early = _purge(t0 + 300 * DAY)
    assert (early.purged, early.skipped_held, early.remaining) == (0, 0, 0)
    assert _retained_state(member) == (True, True, 1)
    assert _records_by_subject() == {}

    # R-RET-1, R-RET-6: once the hold has ended the data goes, its key crypto-shredded.
    late = _purge(t0 + 366 * DAY)
    assert (late.purged, late.skipped_held, late.remaining) == (1, 0, 0)
    assert _retained_state(member) == (False, False, 0)

    # R-RET-7: one destruction record, with the run id, naming no personal data.
    (record,) = [r for r in rs.destruction_records() if r["kind"] == "retained_data"]
    assert record["runId"] == late.run_id
    assert record["items"] == ["name", "phone"]
    assert record["reason"] == "retention ended"
    assert record["subject"] == subject_pseudonym(member)
    assert record["destroyedAt"] == iso(t0 + 366 * DAY)
    # R-RET-6: unrecoverable once the retained key's last backup copy expires.
    key_window = timedelta(days=pitr_days(aws_stack, "DataKeysTable"))
    assert record["backupsExpireAt"] == iso(t0 + 366 * DAY + key_window)
    text = json.dumps(record, ensure_ascii=False)
    for secret in (member, name, phone):
        assert secret not in text

    again = _purge(t0 + 367 * DAY)  # idempotent: nothing left, nothing recorded twice
    assert (again.purged, again.skipped_held, again.remaining) == (0, 0, 0)
    assert _records_by_subject() == {subject_pseudonym(member): 1}


def test_open_settlement_hold_keeps_data_until_released(aws_stack, t0) -> None:
    # R-RET-2: while a settlement is open, until it is completed; whichever ends last wins.
    member, _, _ = _withdrawn_member()
    settlement = _add_hold(member, {"kind": "settlement", "reason": "Fees are unsettled."})

    held = _purge(t0 + 730 * DAY)
    assert (held.purged, held.skipped_held) == (0, 0)  # not even read: it is not due
    assert _retained_state(member) == (True, True, 2)

    _release(member, settlement)
    released = _purge(t0 + 730 * DAY)
    assert released.purged == 1
    assert _retained_state(member) == (False, False, 0)  # both hold rows went with it
    assert _records_by_subject() == {subject_pseudonym(member): 1}


def test_later_fixed_end_hold_wins_over_the_year(aws_stack, t0) -> None:
    # R-RET-2, R-RET-4: a law-mandated hold with a later end keeps the data until then.
    member, _, _ = _withdrawn_member()
    _add_hold(
        member,
        {
            "kind": "legal",
            "reason": "Tax records of fee settlements.",
            "statute": "국세기본법 제85조의3",
            "until": iso(t0 + 500 * DAY),
        },
    )
    assert _purge(t0 + 400 * DAY).purged == 0
    assert _retained_state(member) == (True, True, 2)
    assert _purge(t0 + 501 * DAY).purged == 1


def test_hold_added_between_read_and_delete_wins(aws_stack, t0) -> None:
    # R-RET-2: an operator's hold added after the purge read the index, before its
    # transaction commits, survives: the subject is skipped and nothing is destroyed.
    member, _, _ = _withdrawn_member()
    added: list[str] = []

    def add_hold_first(**_: Any) -> None:
        if not added:  # the hold code's own transaction passes through here too
            added.append("adding")
            added.append(_add_hold(member, {"kind": "complaint", "reason": "Open complaint."}))

    _on("TransactWriteItems", add_hold_first)
    report = _purge(t0 + 366 * DAY)

    assert len(added) == 2
    assert (report.purged, report.skipped_held) == (0, 1)
    assert _retained_state(member) == (True, True, 2)
    assert _records_by_subject() == {}


def _same_shard_members(n: int) -> list[str]:
    candidates = (str(uuid.uuid4()) for _ in range(1000))
    return [m for m in candidates if due_shard(m) == "DUE#0"][:n]


def test_a_held_subject_in_a_batch_is_isolated_and_the_rest_purged(aws_stack, t0) -> None:
    members = _same_shard_members(6)  # one page, one transaction
    for member in members:
        rs.withdraw(member, t0)
    victim = members[3]
    added: list[str] = []

    def add_hold_first(params: dict[str, Any], **_: Any) -> None:
        if not added and len(params["TransactItems"]) == 24:
            added.append("adding")
            added.extend(rs.add_hold(victim, "settlement", t0 + 365 * DAY))

    _on("TransactWriteItems", add_hold_first, _PARAMS)
    report = _purge(t0 + 366 * DAY)

    assert len(added) == 2

    assert (report.purged, report.skipped_held, report.remaining) == (5, 1, 0)
    assert rs.retained_record(victim) is not None
    assert rs.retained_key_exists(victim)
    assert set(_records_by_subject()) == {subject_pseudonym(m) for m in members if m != victim}


def test_purge_reads_the_due_index_only(aws_stack, t0) -> None:
    # The purge never scans the retained table, and reads nothing of subjects not yet due.
    for _ in range(3):
        rs.withdraw(str(uuid.uuid4()), t0)
    for _ in range(2):
        rs.withdraw(str(uuid.uuid4()), t0 + 200 * DAY)
    calls: list[tuple[str, str, int]] = []

    def count_reads(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params.get("TableName", ""), 0))

    def count_items(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        name, table, _n = calls[-1]
        calls[-1] = (name, table, int(parsed.get("ScannedCount", 0)))

    for operation in ("Query", "Scan", "GetItem", "BatchGetItem"):
        _on(operation, count_reads, "provide-client-params")
        _on(operation, count_items, "after-call")
    report = _purge(t0 + 366 * DAY)

    assert report.purged == 3
    retained = get_settings().retained_table
    assert not [c for c in calls if c[0] == "Scan" and c[1] == retained]
    assert sum(n for op, table, n in calls if table == retained) == 3


def test_deadline_stops_the_run_and_the_next_run_finishes(aws_stack, t0) -> None:
    members = _same_shard_members(60)  # one page of 60: the deadline falls inside it
    for member in members:
        rs.withdraw(member, t0)
    committed: list[int] = []
    _on("TransactWriteItems", lambda params, **_: committed.append(_subjects_in(params)), _PARAMS)
    first = _purge(t0 + 366 * DAY, deadline=Deadline(lambda: 0 if committed else 60_000))

    assert first.purged == committed[0] == 25  # one transaction of 4 items each, then stop
    assert first.remaining == 60 - first.purged
    second = _purge(t0 + 366 * DAY)
    assert (second.purged, second.remaining) == (60 - first.purged, 0)
    assert _records_by_subject() == {subject_pseudonym(m): 1 for m in members}


def test_no_time_at_all_counts_everything_as_remaining(aws_stack, t0) -> None:
    for _ in range(4):
        rs.withdraw(str(uuid.uuid4()), t0)
    report = _purge(t0 + 366 * DAY, deadline=Deadline(lambda: 5_000))
    assert (report.purged, report.remaining) == (0, 4)
    assert rs.destruction_records() == []


@pytest.mark.parametrize("when", ["before-call", "after-call"])
def test_a_run_that_dies_half_way_loses_nothing_and_purges_nothing_twice(
    aws_stack, t0, when
) -> None:
    # "before-call": the second transaction never reaches DynamoDB; "after-call": it commits
    # and the run dies before it knows. Either way the re-run purges each subject exactly once.
    members = [str(uuid.uuid4()) for _ in range(60)]
    for member in members:
        rs.withdraw(member, t0)
    sizes: list[int] = []
    _on("TransactWriteItems", lambda params, **_: sizes.append(_subjects_in(params)), _PARAMS)

    def die_on_second(**_: Any) -> None:
        if len(sizes) == 2:
            raise InjectedFault

    _on("TransactWriteItems", die_on_second, when)
    with pytest.raises(InjectedFault):
        _purge(t0 + 366 * DAY)
    client("dynamodb").meta.events.unregister(f"{when}.dynamodb.TransactWriteItems", die_on_second)

    destroyed_before = sum(rs.retained_record(m) is None for m in members)
    assert destroyed_before == (sizes[0] if when == "before-call" else sizes[0] + sizes[1])
    rerun = _purge(t0 + 366 * DAY)
    assert rerun.purged == 60 - destroyed_before
    assert all(rs.retained_record(m) is None for m in members)
    assert all(not rs.retained_key_exists(m) for m in members)
    assert _records_by_subject() == {subject_pseudonym(m): 1 for m in members}


def test_concurrent_runs_do_not_double_count(aws_stack, t0) -> None:
    members = [str(uuid.uuid4()) for _ in range(5)]
    for member in members:
        rs.withdraw(member, t0)
    inner: list[PurgeReport] = []
    started: list[bool] = []

    def other_run_first(**_: Any) -> None:
        if not started:  # another run purges everything between this run's read and its write
            started.append(True)
            inner.append(_purge(t0 + 366 * DAY))

    _on("TransactWriteItems", other_run_first)
    outer = _purge(t0 + 366 * DAY)

    assert inner[0].purged == 5
    assert (outer.purged, outer.skipped_held, outer.remaining) == (0, 0, 0)
    assert _records_by_subject() == {subject_pseudonym(m): 1 for m in members}


@pytest.mark.parametrize("with_reasons", [True, False])
def test_a_conflicting_transaction_leaves_the_subject_for_the_next_run(
    aws_stack, t0, with_reasons
) -> None:
    member = str(uuid.uuid4())
    rs.withdraw(member, t0)
    conflicts: list[int] = []

    def conflict_once(model: Any, **_: Any) -> dict[str, Any] | None:
        from botocore.awsrequest import AWSResponse

        if conflicts:
            return None
        conflicts.append(1)
        parsed: dict[str, Any] = {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        }
        if with_reasons:
            parsed["CancellationReasons"] = [
                {"Code": "TransactionConflict"},
                {"Code": "None"},
                {"Code": "None"},
                {"Code": "None"},
            ]
        return (AWSResponse("", 400, {}, None), parsed)  # type: ignore[return-value]

    _on("TransactWriteItems", conflict_once)
    first = _purge(t0 + 366 * DAY)
    assert (first.purged, first.skipped_held, first.remaining) == (0, 0, 1)
    assert _purge(t0 + 366 * DAY).purged == 1


def test_record_without_hold_ids_has_its_holds_found_and_deleted(aws_stack, t0) -> None:
    member = str(uuid.uuid4())
    rs.withdraw(member, t0, name_holds=False)
    assert _purge(t0 + 366 * DAY).purged == 1
    assert _retained_state(member) == (False, False, 0)


def test_record_that_never_had_a_hold_change_is_destroyed(aws_stack, t0) -> None:
    member = str(uuid.uuid4())
    rs.withdraw(member, t0)
    client("dynamodb").update_item(
        TableName=get_settings().retained_table,
        Key={"subject": {"S": member}},
        UpdateExpression="REMOVE holdVersion",
    )
    assert _purge(t0 + 366 * DAY).purged == 1
    assert _retained_state(member) == (False, False, 0)


def test_pages_and_a_deadline_in_the_middle_of_a_shard(aws_stack, t0, monkeypatch) -> None:
    monkeypatch.setattr(purge, "DUE_PAGE_SIZE", 3)
    members = _same_shard_members(30)
    for member in members:
        rs.withdraw(member, t0)
    committed: list[int] = []
    _on("TransactWriteItems", lambda params, **_: committed.append(_subjects_in(params)), _PARAMS)
    first = _purge(t0 + 366 * DAY, deadline=Deadline(lambda: 0 if committed else 60_000))
    # Transactions are filled across pages: the first commits after nine pages of three.
    assert committed == [25]
    assert (first.purged, first.remaining) == (25, 5)  # 2 read, 3 counted past the last page
    second = _purge(t0 + 366 * DAY)
    assert (second.purged, second.remaining) == (5, 0)
    assert _records_by_subject() == {subject_pseudonym(m): 1 for m in members}


def test_expiry_pages_and_deadline(aws_stack, t0, monkeypatch) -> None:
    # R-RET-8: a long backlog of expired usage records spans runs; none is lost or recounted.
    member = str(uuid.uuid4())
    for n in range(150):
        _usage_record(member, t0 - 91 * DAY - n * timedelta(minutes=1))
    committed: list[int] = []
    _on("TransactWriteItems", lambda **_: committed.append(1), _PARAMS)
    first = _purge(t0, deadline=Deadline(lambda: 0 if committed else 60_000))
    assert first.expired_usage_records == 99  # one transaction: 99 records and their record
    monkeypatch.setattr(purge, "EXPIRY_PAGE_SIZE", 20)
    second = _purge(t0)
    assert second.expired_usage_records == 51
    assert _count(get_settings().usage_records_table) == 0


def test_more_holds_than_one_transaction_holds_are_all_deleted(aws_stack, t0) -> None:
    member = str(uuid.uuid4())
    rs.withdraw(member, t0)
    rs.add_hold(member, "complaint", t0, until=t0 + 10 * DAY, count=120)
    report = _purge(t0 + 366 * DAY)
    assert report.purged == 1
    assert _retained_state(member) == (False, False, 0)
    assert _records_by_subject() == {subject_pseudonym(member): 1}


def test_many_holds_with_one_still_open_keep_the_data(aws_stack, t0) -> None:
    # R-RET-2: an open hold among them (index out of step) is caught by the delete's condition.
    member = str(uuid.uuid4())
    rs.withdraw(member, t0)
    rs.add_hold(member, "complaint", t0, until=t0 + 10 * DAY, count=120)
    open_hold = rs.holds(member)[-1]
    client("dynamodb").update_item(
        TableName=get_settings().holds_table,
        Key={"subject": {"S": member}, "holdId": {"S": open_hold["holdId"]}},
        UpdateExpression="REMOVE #until",
        ExpressionAttributeNames={"#until": "until"},
    )
    report = _purge(t0 + 366 * DAY)
    assert (report.purged, report.skipped_held) == (0, 1)
    assert rs.retained_record(member) is not None
    assert rs.retained_key_exists(member)


def test_dry_run_reports_what_would_go_and_touches_nothing(aws_stack, t0) -> None:
    members = [str(uuid.uuid4()) for _ in range(3)]
    for member in members:
        rs.withdraw(member, t0)
    _expired_verification(t0)
    _usage_record(members[0], t0 + 271 * DAY)  # its 90 days ended 5 days before the run
    report = _purge(t0 + 366 * DAY, dry_run=True)
    assert report.dry_run
    assert (report.purged, report.expired_verifications, report.expired_usage_records) == (3, 1, 1)
    assert all(_retained_state(m) == (True, True, 1) for m in members)
    assert rs.destruction_records() == []
    assert _count(get_settings().verifications_table) == 1


def _expired_verification(expires: datetime, member_id: str | None = None) -> str:
    verification_id = str(uuid.uuid4())
    client("dynamodb").put_item(
        TableName=get_settings().verifications_table,
        Item=to_item(
            {
                "verificationId": verification_id,
                "status": "CONSUMED",
                "purpose": "profile_change" if member_id else "signup",
                "memberId": member_id,
                "vendor": "kmc",
                "expiresAt": iso(expires),
                "expiresAtEpoch": int(expires.timestamp()),
            }
        ),
    )
    return verification_id


def _usage_record(member_id: str, at: datetime) -> None:
    # Through the data layer, as the usage middleware writes them (with the expiry partition).
    usage_records.put(
        usage_records.UsageRecord(
            member_id=member_id,
            at=f"{iso(at)}#{uuid.uuid4()}",
            route="GET /members/me",
            source_ip="203.0.113.7",
            expires_at_epoch=int((at + 90 * DAY).timestamp()),
        )
    )


def _count(table: str) -> int:
    return int(client("dynamodb").scan(TableName=table, Select="COUNT")["Count"])


def test_expired_verifications_and_usage_records_are_destroyed(aws_stack, t0) -> None:
    # R-RET-8: usage records go after their 90-day period even if TTL lags; so do expired
    # verifications. Unexpired ones stay.
    member = str(uuid.uuid4())
    for _ in range(3):
        _expired_verification(t0 - timedelta(hours=2))
    _expired_verification(t0 - timedelta(hours=1), member_id=member)
    fresh = _expired_verification(t0 + timedelta(minutes=30))
    for days in (95, 92, 91):
        _usage_record(member, t0 - days * DAY)
    _usage_record(str(uuid.uuid4()), t0 - 100 * DAY)
    _usage_record(member, t0 - 10 * DAY)

    report = _purge(t0)

    assert (report.expired_verifications, report.expired_usage_records) == (4, 4)
    assert _count(get_settings().verifications_table) == 1
    assert client("dynamodb").get_item(
        TableName=get_settings().verifications_table,
        Key={"verificationId": {"S": fresh}},
    )["Item"]
    assert _count(get_settings().usage_records_table) == 1
    records = rs.destruction_records()
    # R-RET-7: one record per subject and batch, naming the items and the reason.
    usage = [r for r in records if r["kind"] == "usage_records"]
    assert sorted(r["subject"] == subject_pseudonym(member) for r in usage) == [False, True]
    assert all(r["items"] == ["at", "route", "sourceIp"] for r in usage)
    verification = [r for r in records if r["kind"] == "verification"]
    assert len(verification) == 4
    assert {r["reason"] for r in verification} == {"verification expired"}
    # R-RET-6: each kind's last backup copy expires with its own table's PITR window.
    for kind, table in (
        ("verification", "VerificationsTable"),
        ("usage_records", "UsageRecordsTable"),
    ):
        window = timedelta(days=pitr_days(aws_stack, table))
        assert {r["backupsExpireAt"] for r in records if r["kind"] == kind} == {
            iso(parse_iso(r["destroyedAt"]) + window) for r in records if r["kind"] == kind
        }
    assert {r["runId"] for r in records} == {report.run_id}
    assert _purge(t0).expired_usage_records == 0


def test_an_expired_item_removed_by_ttl_meanwhile_is_not_counted(aws_stack, t0) -> None:
    member = str(uuid.uuid4())
    for days in (95, 94, 93):
        _usage_record(member, t0 - days * DAY)
    table = get_settings().usage_records_table
    gone: list[bool] = []

    def ttl_deletes_one(params: dict[str, Any], **_: Any) -> None:
        if not gone:
            gone.append(True)
            key = params["TransactItems"][0]["Delete"]["Key"]
            client("dynamodb").delete_item(TableName=table, Key=key)

    _on("TransactWriteItems", ttl_deletes_one, _PARAMS)
    report = _purge(t0)
    assert report.expired_usage_records == 2
    assert _count(table) == 0
    assert len([r for r in rs.destruction_records() if r["kind"] == "usage_records"]) == 1


# ---------------------------------------------------------------- the handler


def _scheduled(time: datetime, detail: Any = "{}") -> dict[str, Any]:
    event = load_event("retention-purge")
    event["time"] = iso(time)
    event["detail"] = detail
    return event


def _handler(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = handler_module("retention_purge").lambda_handler(
        event, LambdaContext(remaining_ms=60_000)
    )
    return result


def test_handler_runs_a_year_later_only_in_the_local_stack(aws_stack, t0, monkeypatch) -> None:
    member = str(uuid.uuid4())
    rs.withdraw(member, t0)

    # In AWS the event's time is never ahead of the real clock: nothing is due yet.
    in_aws = _handler(_scheduled(t0 + 366 * DAY))
    assert in_aws["purged"] == 0
    assert in_aws["asOf"] <= iso(utc_now())

    monkeypatch.setenv("PC_LOCAL_STACK", "1")
    get_settings.cache_clear()
    dry = _handler(_scheduled(t0 + 366 * DAY, {"dryRun": True}))
    assert (dry["dryRun"], dry["purged"]) == (True, 1)
    assert rs.retained_record(member) is not None

    local = _handler(_scheduled(t0 + 366 * DAY))
    assert set(local) >= {  # the contract's report, and a counter per other kind destroyed
        "runId",
        "asOf",
        "purged",
        "skippedHeld",
        "remaining",
        "dryRun",
        "expiredVerifications",
        "expiredUsageRecords",
    }
    assert (local["purged"], local["asOf"], local["dryRun"]) == (1, iso(t0 + 366 * DAY), False)
    assert rs.retained_record(member) is None


def test_handler_emits_metrics_without_personal_data(aws_stack, t0, monkeypatch, capsys) -> None:
    member = str(uuid.uuid4())
    rs.withdraw(member, t0, name="박지표", phone="01055556666")
    monkeypatch.setenv("PC_LOCAL_STACK", "1")
    get_settings.cache_clear()
    capsys.readouterr()
    report = _handler(_scheduled(t0 + 366 * DAY))
    out = capsys.readouterr().out
    emf = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert emf, out
    (metric_set,) = emf
    names = {m["Name"] for m in metric_set["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"purged", "skippedHeld", "remaining", "durationMs"} <= names
    assert metric_set["purged"] == [1.0]
    assert report["purged"] == 1
    for secret in (member, "박지표", "01055556666"):
        assert secret not in out


def test_the_usage_mop_up_reads_only_recent_expiry_partitions(aws_stack, t0) -> None:
    # R-RET-8: the purge queries the byExpiry index for the last month's expiry days; it never
    # scans the 90 days of live usage records.
    member = str(uuid.uuid4())
    _usage_record(member, t0 - 95 * DAY)  # expired 5 days ago: found
    _usage_record(member, t0 - 10 * DAY)  # live for 80 more days: not read at all
    calls: list[str] = []
    _on("Scan", lambda **kw: calls.append(kw["params"]["TableName"]), _PARAMS)
    _on("Query", lambda **kw: calls.append(kw["params"].get("IndexName", "")), _PARAMS)
    assert _purge(t0).expired_usage_records == 1
    assert get_settings().usage_records_table not in calls  # no Scan of usage records
    assert calls.count("byExpiry") == 32 * usage_records.EXPIRY_SHARDS  # 31 days back + today
