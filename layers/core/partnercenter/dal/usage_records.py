"""UsageRecordsTable: one item per authenticated member request (R-COL-5), TTL-expired (R-RET-8)."""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import to_item


def put(record: dict[str, Any]) -> None:
    client("dynamodb").put_item(TableName=get_settings().usage_records_table, Item=to_item(record))
