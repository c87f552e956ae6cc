"""A member's processing suspension (처리정지), stored on their profile item in MembersTable.

It lives on the profile so that every route that already reads the member reads it too (no
extra call), and it goes with the profile when the member is withdrawn. Domain code sees
``MemberRecord.processing_suspension``; the attribute and its condition stay in this module.
"""

from __future__ import annotations

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import to_value
from partnercenter.dal.members import SUSPENSION_ATTRIBUTE as _ATTRIBUTE
from partnercenter.dal.members import ProcessingSuspension, member_key
from partnercenter.dal.transactions import Entry


def suspend_if_member(member_id: str, suspension: ProcessingSuspension) -> bool:
    """Record the suspension on the member's profile; False if there is no profile (any more).

    The first suspension stands: answering again (a retry) keeps its date and request."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").update_item(
            TableName=get_settings().members_table,
            Key=member_key(member_id),
            UpdateExpression="SET #s = if_not_exists(#s, :s)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": _ATTRIBUTE},
            ExpressionAttributeValues={
                ":s": to_value(
                    {"since": suspension.since, "requestId": suspension.privacy_request_id}
                )
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def not_suspended(member_id: str) -> Entry:
    """Commit only while the member's processing is not suspended (a suspension recorded
    after the gate read the profile refuses), and the member still exists."""
    return Entry(
        {
            "ConditionCheck": {
                "TableName": get_settings().members_table,
                "Key": member_key(member_id),
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(#s)",
                "ExpressionAttributeNames": {"#s": _ATTRIBUTE},
            }
        }
    )
