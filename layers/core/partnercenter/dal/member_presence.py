"""Whether a member has a profile (any status), without reading it: the operator views' 404."""

from __future__ import annotations

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.members import member_key


def has_profile(member_id: str) -> bool:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().members_table,
            Key=member_key(member_id),
            ProjectionExpression="pk",
        )
        .get("Item")
    )
    return item is not None
