"""UsageRecordsTable: one item per authenticated member request (R-COL-5), TTL-expired (R-RET-8).

Each record also carries ``expiryPartition`` (its expiry day, sharded by member), the key of the
``byExpiry`` index, so that the purge reads the few partitions of recent expiry days instead of
scanning 90 days of records when it mops up what TTL has not removed yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import to_item

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


def put(record: UsageRecord) -> None:
    item = {
        "memberId": record.member_id,
        "at": record.at,
        "route": record.route,
        "sourceIp": record.source_ip,
        "expiresAtEpoch": record.expires_at_epoch,
        "expiryPartition": expiry_partition(record.expires_at_epoch, record.member_id),
    }
    client("dynamodb").put_item(TableName=get_settings().usage_records_table, Item=to_item(item))
