"""Shapes of the transaction entries members use, and cancellation mapping (no AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from partnercenter.config import get_settings
from partnercenter.dal.members import profile_update
from partnercenter.dal.transactions import TransactionCancelled, write
from partnercenter.members.records import application_deletes

ENV = {
    "MEMBERS_TABLE": "members",
    "DATA_KEYS_TABLE": "keys",
    "VERIFICATIONS_TABLE": "verifications",
    "RETAINED_TABLE": "retained",
    "HOLDS_TABLE": "holds",
    "DESTRUCTION_RECORDS_TABLE": "destruction",
    "ACCESS_RECORDS_TABLE": "access",
    "USAGE_RECORDS_TABLE": "usage",
    "IDEMPOTENCY_TABLE": "idempotency",
    "MEMBERS_KEY_ID": "k1",
    "RETAINED_KEY_ID": "k2",
    "LOOKUP_HASH_SECRET": "s1",
    "ACCESS_CHAIN_SECRET": "s2",
    "USER_POOL_ID": "pool",
    "USER_POOL_CLIENT_ID": "client",
}


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_profile_update_is_conditional_on_the_version_and_bumps_it() -> None:
    entry = profile_update("m-1", 4, {"phoneEnc": "c", "consents.marketing": {"agreed": True}})[
        "Update"
    ]
    assert entry["TableName"] == "members"
    assert entry["Key"] == {"pk": {"S": "MEMBER#m-1"}, "sk": {"S": "PROFILE"}}
    assert entry["ConditionExpression"] == "version = :version"
    assert entry["ExpressionAttributeValues"][":version"] == {"N": "4"}
    assert entry["ExpressionAttributeValues"][":next"] == {"N": "5"}
    # A dotted path sets one entry of a map, each part an attribute name.
    assert "#p1_0.#p1_1 = :p1" in entry["UpdateExpression"]
    assert entry["ExpressionAttributeNames"]["#p1_1"] == "marketing"


def test_an_application_is_deleted_only_while_pending_and_its_guards_only_if_its_own() -> None:
    member: dict[str, Any] = {"memberId": "m-1", "loginIdHash": "lh", "personHash": "ph"}
    keys = [
        {"pk": {"S": "MEMBER#m-1"}, "sk": {"S": "PROFILE"}},
        {"pk": {"S": "MEMBER#m-1"}, "sk": {"S": "CONSENT#t#required"}},
        {"pk": {"S": "MEMBER#m-1"}, "sk": {"S": "CONSENT#t#marketing"}},
    ]
    deletes = [d["Delete"] for d in application_deletes(member, keys)]
    assert len(deletes) == 5  # profile once (conditioned), two guards, two consent records
    assert deletes[0]["ExpressionAttributeValues"] == {":pending": {"S": "pending_approval"}}
    assert [d["Key"]["pk"]["S"] for d in deletes[1:3]] == ["LOGINID#lh", "PERSON#ph"]
    assert all(d["ExpressionAttributeValues"] == {":m": {"S": "m-1"}} for d in deletes[1:3])
    assert "ConditionExpression" not in deletes[3]


def test_cancellation_reasons_map_by_index() -> None:
    cancelled = TransactionCancelled(["None", "ConditionalCheckFailed", "TransactionConflict"])
    assert not cancelled.failed(0)
    assert cancelled.failed(1)
    assert cancelled.failed(2)
    assert not cancelled.failed(7)
    assert "ConditionalCheckFailed" in str(cancelled)


@pytest.mark.parametrize("count", [0, 101])
def test_a_transaction_holds_1_to_100_items(count: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.100"):
        write([{}] * count)


def test_consent_history_keys_keep_order_within_a_second() -> None:
    from partnercenter.clock import iso_micro

    first = datetime(2026, 11, 24, 20, 11, 23, 5, tzinfo=UTC)
    second = first.replace(microsecond=900_000)
    assert iso_micro(first) == "2026-11-24T20:11:23.000005Z"
    assert iso_micro(first) < iso_micro(second)
