"""MembersTable deletes of a withdrawal: the profile, its guards and the rest of its partition.

Kept apart from dal.members (the table's reads and record) so that the withdrawal's rules, each
a condition on what the withdrawal read, stay together.
"""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal import members
from partnercenter.dal.transactions import Entry


def _delete(
    key: dict[str, Any], condition: str | None = None, values: dict[str, Any] | None = None
) -> Entry:
    delete: dict[str, Any] = {"TableName": get_settings().members_table, "Key": key}
    if condition is not None:
        delete["ConditionExpression"] = condition
        delete["ExpressionAttributeValues"] = values
    return Entry({"Delete": delete})


def profile_if_unchanged(member_id: str, version: int) -> Entry:
    """The profile as read: a concurrent change cancels the withdrawal."""
    return _delete(members.member_key(member_id), "version = :v", {":v": {"N": str(version)}})


def _guard_if_ours(key: dict[str, Any], member_id: str) -> Entry:
    return _delete(key, "attribute_not_exists(pk) OR memberId = :m", {":m": {"S": member_id}})


def login_id_guard_if_ours(login_id_hash: str, member_id: str) -> Entry:
    """The login ID's guard, while it is still the member's (or already gone)."""
    return _guard_if_ours(members.login_id_guard_key(login_id_hash), member_id)


def person_guard_if_ours(person_hash: str, member_id: str) -> Entry:
    """The person's guard, while it is still the member's (or already gone)."""
    return _guard_if_ours(members.person_guard_key(person_hash), member_id)


def partition_rest(member_id: str) -> list[Entry]:
    """Every item of the member's partition but the profile (consent history), as it is now."""
    return [
        _delete(key)
        for key in members.member_item_keys(member_id)
        if key["sk"]["S"] != members.PROFILE
    ]


def partition(member_id: str) -> list[Entry]:
    """Every item left in the member's partition (idempotent clean-up after the commit)."""
    return [_delete(key) for key in members.member_item_keys(member_id)]
