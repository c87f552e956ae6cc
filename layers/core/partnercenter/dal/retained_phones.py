"""The one question live code may ask separated storage (R-RET-5): is this phone retained?

Only RetainedTable's ``byPhoneHash`` index is read (KEYS_ONLY), never the retained data itself;
the operators' pending list uses it for fraud prevention (R-RET-2), nothing else.
"""

from __future__ import annotations

from partnercenter.config import get_settings
from partnercenter.dal.aws import client


def is_retained(phone_hash: str) -> bool:
    answer = client("dynamodb").query(
        TableName=get_settings().retained_table,
        IndexName="byPhoneHash",
        KeyConditionExpression="phoneHash = :p",
        ExpressionAttributeValues={":p": {"S": phone_hash}},
        Select="COUNT",
        Limit=1,
    )
    return int(answer.get("Count", 0)) > 0
