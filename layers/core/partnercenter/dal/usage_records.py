"""UsageRecordsTable: one item per authenticated member request (R-COL-5), TTL-expired (R-RET-8).

Each record also carries ``expiryPartition`` (its expiry day, sharded by member), the key of the
``byExpiry`` index, so that the purge reads the few partitions of recent expiry days instead of
scanning 90 days of records when it mops up what TTL has not removed yet.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import to_item
from partnercenter.dal.transactions import Entry

# Four shards spread one day's writes over four index partitions (no hot partition).
EXPIRY_SHARDS = 4


def expiry_partition(expires_at_epoch: int, member_id: str) -> str:
    day = datetime.fromtimestamp(expires_at_epoch, UTC).strftime("%Y-%m-%d")
    shard = int(hashlib.sha256(member_id.encode()).hexdigest()[:8], 16) % EXPIRY_SHARDS
    return f"{day}#{shard}"


def expiry_partitions(now_epoch: int, lookback: timedelta) -> list[str]:
    """Every partition of the expiry days from ``now - lookback`` to today, oldest first."""
    today = datetime.fromtimestamp(now_epoch, UTC).date()
    days = [today - timedelta(days=n) for n in range(lookback.days, -1, -1)]
    return [f"{day:%Y-%m-%d}#{shard}" for day in days for shard in range(EXPIRY_SHARDS)]


@dataclass(frozen=True)
class UsageRecord:
    """One served member request: ``at`` is the time with the request id (unique per member),
    ``route`` the resource path, never a concrete path that might carry ids."""

    member_id: str
    at: str
    route: str
    source_ip: str
    expires_at_epoch: int


def _item(record: UsageRecord) -> dict[str, object]:
    return {
        "memberId": record.member_id,
        "at": record.at,
        "route": record.route,
        "sourceIp": record.source_ip,
        "expiresAtEpoch": record.expires_at_epoch,
        "expiryPartition": expiry_partition(record.expires_at_epoch, record.member_id),
    }


def put(record: UsageRecord) -> None:
    client("dynamodb").put_item(
        TableName=get_settings().usage_records_table, Item=to_item(_item(record))
    )


def put_entry(record: UsageRecord) -> Entry:
    """The record as a transaction's write, to go along with another (one round trip)."""
    return Entry(
        {"Put": {"TableName": get_settings().usage_records_table, "Item": to_item(_item(record))}}
    )


# The current request's usage record while it waits to ride along with the request's first
# access record; whatever is left is written alone when the request ends (usage.record_usage).
_deferred: ContextVar[UsageRecord | None] = ContextVar("deferred_usage_record", default=None)


def defer(record: UsageRecord | None) -> None:
    _deferred.set(record)


def take_deferred() -> UsageRecord | None:
    """The deferred record, now the caller's to write."""
    record = _deferred.get()
    _deferred.set(None)
    return record
