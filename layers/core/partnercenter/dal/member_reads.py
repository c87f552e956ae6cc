"""A member and their data key in one round trip (BatchGetItem over MembersTable and
DataKeysTable), for the routes that open the member's personal data (issue 17)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item
from partnercenter.dal.data_keys import WrappedDataKey, data_key_key, wrapped_data_key
from partnercenter.dal.members import MemberRecord, member_key, member_record

# Bounded: DynamoDB returns keys unprocessed when throttled; retried as the client's own
# retries are (standard mode: 3 attempts, botocore's backoff with jitter between them).
MAX_ATTEMPTS = 3


class ReadsUnprocessed(Exception):
    """DynamoDB left keys unread after every attempt (throttled); nothing is assumed of them."""


@dataclass(frozen=True, repr=False)
class MemberWithDataKey:
    member: MemberRecord | None
    data_key: WrappedDataKey


def member_with_data_key(member_id: str) -> MemberWithDataKey:
    """The member's profile and their data key, both read strongly consistent."""
    settings = get_settings()
    members, keys = settings.members_table, settings.data_keys_table
    found = _batch_get(
        {
            members: {"Keys": [member_key(member_id)], "ConsistentRead": True},
            keys: {"Keys": [data_key_key(member_id)], "ConsistentRead": True},
        }
    )
    profile = found.get(members, [])
    key = found.get(keys, [])
    return MemberWithDataKey(
        member=member_record(from_item(profile[0])) if profile else None,
        data_key=wrapped_data_key(member_id, key[0] if key else None),
    )


def _batch_get(request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every item of ``request`` (table -> keys), asking again for the unprocessed ones."""
    from botocore.retries.standard import ExponentialBackoff, RetryContext

    backoff = ExponentialBackoff(service_name="dynamodb")
    found: dict[str, list[dict[str, Any]]] = {}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        answer = client("dynamodb").batch_get_item(RequestItems=request)
        for table, items in answer.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return found
        if attempt < MAX_ATTEMPTS:
            time.sleep(backoff.delay_amount(RetryContext(attempt_number=attempt)))
    raise ReadsUnprocessed()
