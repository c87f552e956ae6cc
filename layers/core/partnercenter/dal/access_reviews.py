"""AccessReviewsTable: the monthly access reviews' summaries (R-SEC-2), one item per period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import to_item


@dataclass(frozen=True)
class AccessReviewRecord:
    """One month's review (``period`` = ``YYYY-MM``): ``summary`` is the review as reported."""

    period: str
    summary: Mapping[str, object]


def put(review: AccessReviewRecord) -> None:
    """Store (or replace, when a run is repeated) the review of its period."""
    table = get_settings().access_reviews_table
    if not table:
        raise RuntimeError("ACCESS_REVIEWS_TABLE is not configured")
    item = {**review.summary, "period": review.period}
    client("dynamodb").put_item(TableName=table, Item=to_item(item))
