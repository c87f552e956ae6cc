"""The one question live code may ask separated storage (R-RET-5): is this phone retained?

Only RetainedTable's ``byPhoneHash`` index is read (it projects the withdrawal time and nothing
else), never the retained data itself; the operators' pending list uses it for fraud
prevention (R-RET-2), nothing else.
"""

from __future__ import annotations

from partnercenter.config import get_settings
from partnercenter.dal.aws import client


def is_retained(phone_hash: str, withdrawn_since: str = "") -> bool:
    """Whether a subject with this phone is in separated storage, withdrawn at or after
    ``withdrawn_since`` (ISO; empty means any time)."""
    answer = client("dynamodb").query(
        TableName=get_settings().retained_table,
        IndexName="byPhoneHash",
        KeyConditionExpression="phoneHash = :p",
        FilterExpression="withdrawnAt >= :since",
        ExpressionAttributeValues={":p": {"S": phone_hash}, ":since": {"S": withdrawn_since}},
        Select="COUNT",
    )
    return int(answer.get("Count", 0)) > 0
