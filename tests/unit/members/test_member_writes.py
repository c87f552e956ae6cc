"""Shapes of the transaction entries members use, and cancellation mapping (no AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from partnercenter.config import get_settings
from partnercenter.dal import members as members_dal
from partnercenter.dal.codec import from_item
from partnercenter.dal.members import (
    IdentityCorrection,
    MarketingConsent,
)
from tests.unit.records import a_member_record

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
    consent = MarketingConsent(agreed=True, at="2026-11-24T00:00:00Z", channel="web")
    entry = members_dal.marketing_consent_update("m-1", 4, consent).item["Update"]
    assert entry["TableName"] == "members"
    assert entry["Key"] == {"pk": {"S": "MEMBER#m-1"}, "sk": {"S": "PROFILE"}}
    assert entry["ConditionExpression"] == "version = :version"
    assert entry["ExpressionAttributeValues"][":version"] == {"N": "4"}
    assert entry["ExpressionAttributeValues"][":next"] == {"N": "5"}
    # A dotted path sets one entry of a map, each part an attribute name.
    assert "#p0_0.#p0_1 = :p0" in entry["UpdateExpression"]
    assert entry["ExpressionAttributeNames"]["#p0_1"] == "marketing"


def test_a_correction_sets_only_what_changed() -> None:
    change = IdentityCorrection(verified_at="t", vendor="kmc", phone_enc="c", phone_hash="h")
    entry = members_dal.identity_correction("m-1", 4, change).item["Update"]
    names = set(entry["ExpressionAttributeNames"].values())
    assert names == {"verifiedAt", "vendor", "phoneEnc", "phoneHash"}


def test_an_application_is_deleted_only_while_pending_and_its_guards_only_if_its_own() -> None:
    member = a_member_record()
    profile = members_dal.pending_profile_delete("m-1").item["Delete"]
    assert profile["ExpressionAttributeValues"] == {":pending": {"S": "pending_approval"}}
    guards = [
        members_dal.own_login_id_guard_delete(member).item["Delete"],
        members_dal.own_person_guard_delete(member).item["Delete"],
    ]
    assert [d["Key"]["pk"]["S"] for d in guards] == ["LOGINID#lh", "PERSON#ph"]
    assert all(d["ExpressionAttributeValues"] == {":m": {"S": "m-1"}} for d in guards)


def test_a_profile_reads_back_as_the_record_it_was_written_from() -> None:
    member = a_member_record(signed_out_at=1795000001, sanctions={"s-1": {"startsAt": "t"}})
    item = members_dal.new_profile_put(member).item["Put"]["Item"]
    assert members_dal.member_record(from_item(item)) == member
    assert repr(member) == "MemberRecord('m-1', status='pending_approval')"  # no ciphertexts


def test_consent_history_keys_keep_order_within_a_second() -> None:
    from partnercenter.clock import iso_micro

    first = datetime(2026, 11, 24, 20, 11, 23, 5, tzinfo=UTC)
    second = first.replace(microsecond=900_000)
    assert iso_micro(first) == "2026-11-24T20:11:23.000005Z"
    assert iso_micro(first) < iso_micro(second)


def test_a_withdrawal_deletes_the_profile_as_read_and_guards_unless_another_members() -> None:
    # For retention.withdrawal: a concurrent change cancels; a guard already gone does not.
    profile = members_dal.versioned_profile_delete(a_member_record()).item["Delete"]
    assert profile["ExpressionAttributeValues"] == {":v": {"N": "4"}}
    guards = [e.item["Delete"] for e in members_dal.guard_deletes_unless_taken(a_member_record())]
    assert [d["Key"]["pk"]["S"] for d in guards] == ["LOGINID#lh", "PERSON#ph"]
    assert all(
        d["ConditionExpression"] == "attribute_not_exists(pk) OR memberId = :m" for d in guards
    )
