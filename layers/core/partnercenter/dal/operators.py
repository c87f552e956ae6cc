"""The operators' user pool and their sign-out times: what the operator check asks per request.

Operators are not members: they live in a user pool of their own (``OPERATOR_POOL_ID``). Their
usernames are employees' identifiers, so they are never logged or put into an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client

TOTP = "SOFTWARE_TOKEN_MFA"


@dataclass(frozen=True)
class OperatorAccount:
    """An operator's account as Cognito holds it right now."""

    enabled: bool
    totp_enrolled: bool
    groups: tuple[str, ...]


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _pool() -> str:
    pool = get_settings().operator_pool_id
    if not pool:  # fail closed: no pool configured means no operator passes
        raise RuntimeError("OPERATOR_POOL_ID is not set")
    return pool


def _table() -> str:
    table = get_settings().operator_sessions_table
    if not table:
        raise RuntimeError("OPERATOR_SESSIONS_TABLE is not set")
    return table


def operator_account(username: str) -> OperatorAccount | None:
    """The account's state and groups (two Cognito calls), or None if there is no such user."""
    from botocore.exceptions import ClientError

    idp = client("cognito-idp")
    pool = _pool()
    try:
        user = idp.admin_get_user(UserPoolId=pool, Username=username)
        pages = idp.get_paginator("admin_list_groups_for_user").paginate(
            UserPoolId=pool, Username=username
        )
        groups = tuple(g["GroupName"] for page in pages for g in page.get("Groups", []))
    except ClientError as exc:
        if _error_code(exc) == "UserNotFoundException":
            return None
        raise
    return OperatorAccount(
        enabled=bool(user.get("Enabled", False)),
        totp_enrolled=TOTP in (user.get("UserMFASettingList") or []),
        groups=groups,
    )


@dataclass(frozen=True)
class OperatorSessionRecord:
    """An operator's last sign-out (epoch seconds): every token issued until then is refused.
    Kept until ``expires_at`` (DynamoDB's TTL), past the life of any token it could refuse."""

    operator_id: str
    signed_out_at: int
    expires_at: int


def signed_out_at(operator_id: str) -> int:
    """When the operator last signed out (epoch seconds), 0 if never (or long ago)."""
    item: dict[str, Any] = (
        client("dynamodb")
        .get_item(
            TableName=_table(),
            Key={"operatorId": {"S": operator_id}},
            ConsistentRead=True,
            ProjectionExpression="signedOutAt",
        )
        .get("Item")
        or {}
    )
    return int(item.get("signedOutAt", {}).get("N", "0"))


def sign_out_unless_later(session: OperatorSessionRecord) -> None:
    """Record the sign-out; a later one already recorded stays (a sign-out never moves back)."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key={"operatorId": {"S": session.operator_id}},
            UpdateExpression="SET signedOutAt = :at, expiresAt = :expires",
            ConditionExpression="attribute_not_exists(signedOutAt) OR signedOutAt < :at",
            ExpressionAttributeValues={
                ":at": {"N": str(session.signed_out_at)},
                ":expires": {"N": str(session.expires_at)},
            },
        )
    except ClientError as exc:
        if _error_code(exc) != "ConditionalCheckFailedException":
            raise


def sign_out_everywhere(username: str) -> None:
    """Revoke every refresh token of the operator; a user already gone is fine."""
    from botocore.exceptions import ClientError

    try:
        client("cognito-idp").admin_user_global_sign_out(UserPoolId=_pool(), Username=username)
    except ClientError as exc:
        if _error_code(exc) != "UserNotFoundException":
            raise
