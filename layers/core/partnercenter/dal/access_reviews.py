"""AccessReviewsTable: the monthly access reviews' summaries (R-SEC-2), one item per period."""

from __future__ import annotations

from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import to_item


def put(review: dict[str, Any]) -> None:
    """Store (or replace, when a run is repeated) the review of ``review["period"]``."""
    table = get_settings().access_reviews_table
    if not table:
        raise RuntimeError("ACCESS_REVIEWS_TABLE is not configured")
    client("dynamodb").put_item(TableName=table, Item=to_item(review))
