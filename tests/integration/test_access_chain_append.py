"""Appending access records without reading the chain's head first (issue 17), and the
caller's writes that ride along with a record (R-SEC-2).

A container appends after the record it last wrote; another thread plays another container
(each keeps its own last record, as each Lambda environment does).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from partnercenter import snapstart
from partnercenter.audit.access_records import GENESIS, Place, record_access, verify_chain
from partnercenter.config import get_settings
from partnercenter.dal import access_records, aws
from partnercenter.dal.access_records import AccessRecord
from partnercenter.dal.transactions import Entry, Transaction, TransactionCancelled
from tests.aws_calls import counting_calls
from tests.conftest import REGION
from tests.integration.rights_helpers import next_record_of_another_writer


def _record(member: str = "m-1", along: Transaction | None = None) -> Place:
    return record_access(
        actor="op-1", actor_role="operator", member_id=member, action="view", along=along
    )


def _another_writer_appends(chain: str) -> None:
    """Another container (a thread keeps its own last record) appends to ``chain``."""
    done: list[bool] = []

    def write() -> None:
        done.append(access_records.append(next_record_of_another_writer(chain)))

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(timeout=30)
    assert done == [True]


def _usage_item(member: str) -> Entry:
    """A caller's write with no condition (a usage record's shape)."""
    return Entry(
        {
            "Put": {
                "TableName": get_settings().usage_records_table,
                "Item": {"memberId": {"S": member}, "at": {"S": "2026-11-29T00:00:00Z#r"}},
            }
        }
    )


def _failing_check() -> Entry:
    """A caller's condition that fails: the member it requires does not exist."""
    return Entry(
        {
            "ConditionCheck": {
                "TableName": get_settings().members_table,
                "Key": {"pk": {"S": "MEMBER#nobody"}, "sk": {"S": "PROFILE"}},
                "ConditionExpression": "attribute_exists(pk)",
            }
        }
    )


def _usage_items() -> list[dict[str, Any]]:
    table = get_settings().usage_records_table
    return list(aws.client("dynamodb").scan(TableName=table).get("Items", []))


# counting_calls starts from aws.reset(): each test writes its records inside it.
def test_a_warm_append_reads_no_head(aws_stack) -> None:
    with counting_calls(REGION) as calls:
        first = _record()
        second, _ = calls.measure(lambda: _record("m-2"))
    # One round trip: the record this container last wrote is the head it appends after.
    assert dict(second) == {"dynamodb.PutItem": 1}
    before, after = (access_records.get(first.chain, first.seq + n) for n in (0, 1))
    assert before is not None
    assert after is not None
    assert after.prev_mac == before.mac
    assert verify_chain().intact


def test_the_container_sticks_to_its_chain(aws_stack) -> None:
    places = [_record(f"m-{i}") for i in range(4)]
    assert {place.chain for place in places} == {places[0].chain}
    assert [place.seq for place in places] == [1, 2, 3, 4]


def test_a_stale_head_reads_the_chain_and_still_links_up(aws_stack) -> None:
    # R-SEC-2: another writer appended since this container's last record.
    with counting_calls(REGION) as calls:
        first = _record()
        _another_writer_appends(first.chain)
        measured, _ = calls.measure(_record)
    assert measured["dynamodb.PutItem"] == 2  # the guess at seq 2, lost; then seq 3
    assert measured["dynamodb.Query"] == 1  # the head, read once the guess failed
    second, third = (access_records.get(first.chain, seq) for seq in (2, 3))
    assert second is not None
    assert third is not None
    assert third.prev_mac == second.mac
    report = verify_chain()
    assert report.intact, report.breaks
    assert report.records == 3


def test_a_writer_that_loses_twice_moves_to_another_chain(
    aws_stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _record()
    _another_writer_appends(first.chain)  # the guess will be stale
    read_head = access_records.latest

    def head_then_taken(chain: str) -> AccessRecord | None:
        # Between this writer's read of the head and its put, another writer takes the seq.
        head = read_head(chain)
        if chain == first.chain:
            monkeypatch.setattr(access_records, "latest", read_head)
            _another_writer_appends(chain)
        return head

    monkeypatch.setattr(access_records, "latest", head_then_taken)
    later = _record()
    assert later.chain != first.chain
    assert access_records.get(first.chain, 3) is not None  # the other writer's, not ours
    assert access_records.get(first.chain, 4) is None
    report = verify_chain()
    assert report.intact, report.breaks
    assert report.records == 4


def test_after_reset_a_fresh_world_starts_at_genesis(aws_stack) -> None:
    first = _record()
    # The world the tests' reset stands for: the same tables, none of the old records.
    aws.client("dynamodb").delete_item(
        TableName=get_settings().access_records_table,
        Key={"chain": {"S": first.chain}, "seq": {"N": str(first.seq)}},
    )
    aws.reset()
    again = _record()
    stored = access_records.get(again.chain, again.seq)
    assert stored is not None
    assert (stored.seq, stored.prev_mac) == (1, GENESIS)
    assert verify_chain().intact


def test_a_restored_snapshot_forgets_the_chain_it_was_on(aws_stack) -> None:
    with counting_calls(REGION) as calls:
        _record()
        snapstart.renew()
        measured, _ = calls.measure(lambda: _record("m-2"))
    assert measured["dynamodb.Query"] == 1  # chose a chain of its own and read its head


def test_the_caller_s_writes_commit_with_the_record(aws_stack) -> None:
    along = Transaction().add("usage", _usage_item("m-3"))
    with counting_calls(REGION) as calls:
        _record()
        measured, _ = calls.measure(lambda: _record("m-3", along))
    assert dict(measured) == {"dynamodb.TransactWriteItems": 1}
    assert [item["memberId"]["S"] for item in _usage_items()] == ["m-3"]
    assert verify_chain().records == 2


def test_a_lost_race_retries_with_the_caller_s_writes_unchanged(aws_stack) -> None:
    first = _record()
    _another_writer_appends(first.chain)
    along = Transaction().add("usage", _usage_item("m-4"))
    assert _record("m-4", along) == Place(first.chain, 3)
    assert [item["memberId"]["S"] for item in _usage_items()] == ["m-4"]
    assert verify_chain().intact


def test_a_failed_caller_write_writes_nothing_and_is_named(aws_stack) -> None:
    first = _record()
    along = Transaction().add("member_exists", _failing_check()).add("usage", _usage_item("m-5"))
    with pytest.raises(TransactionCancelled) as cancelled:
        _record("m-5", along)
    assert cancelled.value.failed("member_exists")
    assert not cancelled.value.failed("access_record")
    assert access_records.get(first.chain, first.seq + 1) is None
    assert _usage_items() == []
    # Nothing was written, so the container still appends after its last record.
    assert _record() == Place(first.chain, first.seq + 1)
    assert verify_chain().intact
