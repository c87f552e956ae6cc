"""The one place that shapes a member's items (docs/data-model.md); signup and tests use it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from partnercenter.clock import iso, iso_micro
from partnercenter.config import get_settings
from partnercenter.crypto import FieldCipher
from partnercenter.dal.codec import to_item
from partnercenter.dal.data_keys import MEMBER_DATA, new_data_key
from partnercenter.dal.members import (
    PENDING_APPROVAL,
    PROFILE,
    login_id_guard_key,
    member_key,
    person_guard_key,
)
from partnercenter.hashing import login_id_hash, phone_hash
from partnercenter.policy import REQUIRED_ITEMS, signup_purposes


@dataclass(frozen=True, repr=False)
class NewMember:
    member_id: str
    login_id: str
    name: str
    phone: str
    person_hash: str
    vendor: str
    verified_at: str
    policy_version: str
    marketing: bool
    requested_at: datetime
    channel: str = "web"
    status: str = PENDING_APPROVAL


@dataclass
class MemberWrites:
    """TransactWriteItems entries for a new member, with the index of each guard."""

    items: list[dict[str, Any]] = field(default_factory=list)
    login_id_guard_index: int = -1
    person_guard_index: int = -1


def _put(item: dict[str, Any], condition: str = "attribute_not_exists(pk)") -> dict[str, Any]:
    return {
        "Put": {
            "TableName": get_settings().members_table,
            "Item": item,
            "ConditionExpression": condition,
        }
    }


def consent_item(
    member_id: str, kind: str, agreed: bool, at: datetime, channel: str, policy_version: str
) -> dict[str, Any]:
    """One consent-history record (R-COL-2): version, items, purposes, time, channel."""
    return to_item(
        {
            "pk": f"MEMBER#{member_id}",
            # To the microsecond: two changes within one second both stay in the history.
            "sk": f"CONSENT#{iso_micro(at)}#{kind}",
            "kind": kind,
            "agreed": agreed,
            "policyVersion": policy_version,
            "items": list(REQUIRED_ITEMS) if kind == "required" else ["phone"],
            "purposes": signup_purposes(policy_version) if kind == "required" else ["advertising"],
            "channel": channel,
            "at": iso(at),
        }
    )


def consent_put(
    member_id: str, kind: str, agreed: bool, at: datetime, channel: str, policy_version: str
) -> dict[str, Any]:
    """TransactWriteItems entry appending one consent-history record; never overwrites one."""
    return _put(consent_item(member_id, kind, agreed, at, channel, policy_version))


def new_member_writes(member: NewMember) -> MemberWrites:
    """Data key, encrypted profile, login-ID and person guards, consent records."""
    key = new_data_key(member.member_id, MEMBER_DATA)
    cipher = FieldCipher(member.member_id, key.plaintext)
    at = iso(member.requested_at)
    login_hash = login_id_hash(member.login_id)
    profile = to_item(
        {
            "pk": f"MEMBER#{member.member_id}",
            "sk": "PROFILE",
            "memberId": member.member_id,
            "status": member.status,
            "requestedAt": at,
            "nameEnc": cipher.seal("name", member.name),
            "phoneEnc": cipher.seal("phone", member.phone),
            "loginIdEnc": cipher.seal("loginId", member.login_id),
            "loginIdHash": login_hash,
            "personHash": member.person_hash,
            "phoneHash": phone_hash(member.phone),
            "vendor": member.vendor,
            "verifiedAt": member.verified_at,
            "consents": {
                "required": {
                    "policyVersion": member.policy_version,
                    "agreedAt": at,
                    "channel": member.channel,
                },
                # Marketing is a separate consent and defaults off (R-ADV-1).
                "marketing": {"agreed": member.marketing, "at": at, "channel": member.channel},
            },
            "version": 1,
        }
    )
    writes = MemberWrites()
    writes.items.append(key.put)
    writes.items.append(_put(profile))
    writes.login_id_guard_index = len(writes.items)
    writes.items.append(
        _put({**login_id_guard_key(login_hash), "memberId": {"S": member.member_id}})
    )
    writes.person_guard_index = len(writes.items)
    writes.items.append(
        _put({**person_guard_key(member.person_hash), "memberId": {"S": member.member_id}})
    )
    writes.items.append(
        _put(
            consent_item(
                member.member_id,
                "required",
                True,
                member.requested_at,
                member.channel,
                member.policy_version,
            )
        )
    )
    writes.items.append(
        _put(
            consent_item(
                member.member_id,
                "marketing",
                member.marketing,
                member.requested_at,
                member.channel,
                member.policy_version,
            )
        )
    )
    return writes


def application_deletes(
    member: dict[str, Any], item_keys: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """TransactWriteItems entries deleting a pending application: profile, guards, consents.

    The profile goes only while still pending and the guards only while still this member's,
    so a decision that raced with another changes nothing.
    """
    table = get_settings().members_table
    member_id = {":m": {"S": member["memberId"]}}
    deletes: list[dict[str, Any]] = [
        {
            "Delete": {
                "TableName": table,
                "Key": member_key(member["memberId"]),
                "ConditionExpression": "#s = :pending",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":pending": {"S": PENDING_APPROVAL}},
            }
        }
    ]
    for guard in (
        login_id_guard_key(member["loginIdHash"]),
        person_guard_key(member["personHash"]),
    ):
        deletes.append(
            {
                "Delete": {
                    "TableName": table,
                    "Key": guard,
                    "ConditionExpression": "memberId = :m",
                    "ExpressionAttributeValues": member_id,
                }
            }
        )
    deletes.extend(
        {"Delete": {"TableName": table, "Key": key}}
        for key in item_keys
        if key["sk"]["S"] != PROFILE
    )
    return deletes
