"""The user pool: members' sign-in accounts. The username is the login ID; the sub is the memberId.

Passwords pass straight through to Cognito and are never stored, logged or put into an
exception message by us (R-SEC-3).
"""

from __future__ import annotations

from collections.abc import Callable

from partnercenter.config import get_settings
from partnercenter.dal.aws import client


class UsernameExists(Exception):
    """The pool already has a user with this username."""


class PasswordRefused(Exception):
    """The pool's password policy refused the password."""


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def create_disabled_user(username: str, password: str) -> str:
    """A user who cannot sign in until enabled, with a permanent password; returns the sub.

    Disabled before the password is set, so no moment exists in which the account can be used.
    """
    from botocore.exceptions import ClientError

    pool = get_settings().user_pool_id
    idp = client("cognito-idp")
    try:
        created = idp.admin_create_user(
            UserPoolId=pool, Username=username, MessageAction="SUPPRESS"
        )
    except ClientError as exc:
        if _error_code(exc) == "UsernameExistsException":
            raise UsernameExists() from None
        raise
    attributes = {a["Name"]: a["Value"] for a in created["User"].get("Attributes", [])}
    sub = str(attributes["sub"])
    try:
        idp.admin_disable_user(UserPoolId=pool, Username=username)
        idp.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=password, Permanent=True
        )
    except BaseException as exc:
        delete_own_user(username, sub)
        # The original error may quote the request; only its code travels on.
        if _error_code(exc) == "InvalidPasswordException":
            raise PasswordRefused() from None
        raise
    return sub


def enable_user(username: str) -> None:
    client("cognito-idp").admin_enable_user(
        UserPoolId=get_settings().user_pool_id, Username=username
    )


def delete_user(username: str) -> None:
    """Delete the user; a user already gone is fine (compensations may run twice)."""
    from botocore.exceptions import ClientError

    try:
        client("cognito-idp").admin_delete_user(
            UserPoolId=get_settings().user_pool_id, Username=username
        )
    except ClientError as exc:
        if _error_code(exc) != "UserNotFoundException":
            raise


def sub_of(username: str) -> str | None:
    """The sub of the user ``username``, or None if there is no such user."""
    from botocore.exceptions import ClientError

    try:
        user = client("cognito-idp").admin_get_user(
            UserPoolId=get_settings().user_pool_id, Username=username
        )
    except ClientError as exc:
        if _error_code(exc) == "UserNotFoundException":
            return None
        raise
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    sub = attributes.get("sub")
    return None if sub is None else str(sub)


def delete_own_user(username: str, sub: str) -> None:
    """Delete the user only if it is still the one with ``sub`` (the one this request made).

    A late compensation must not delete an account another signup has since created under the
    same username.
    """
    if sub_of(username) == sub:
        delete_user(username)


def username_of(sub: str) -> str | None:
    """The username of the user whose sub is ``sub``, or None if there is none (any more).

    Withdrawal knows a member only by sub once the login ID is destroyed; ListUsers' sub filter
    works on every Cognito (real or emulated), unlike passing the sub as a username.
    """
    if '"' in sub:
        return None
    users = (
        client("cognito-idp")
        .list_users(
            UserPoolId=get_settings().user_pool_id, Filter=f'sub = "{sub}"', AttributesToGet=[]
        )
        .get("Users", [])
    )
    return str(users[0]["Username"]) if users else None


def disable_user(username: str) -> None:
    """Sign-in refused and access tokens revoked; reversible with enable_user."""
    client("cognito-idp").admin_disable_user(
        UserPoolId=get_settings().user_pool_id, Username=username
    )


def _unless_gone(call: Callable[..., object], username: str) -> None:
    """Run an Admin* call on ``username``; a user already gone is fine."""
    from botocore.exceptions import ClientError

    try:
        call(UserPoolId=get_settings().user_pool_id, Username=username)
    except ClientError as exc:
        if _error_code(exc) != "UserNotFoundException":
            raise


def disable_if_exists(username: str) -> None:
    """``disable_user``, for an account that may be gone already."""
    _unless_gone(client("cognito-idp").admin_disable_user, username)


def enable_if_exists(username: str) -> None:
    """``enable_user``, for an account that may be gone already."""
    _unless_gone(client("cognito-idp").admin_enable_user, username)


def sign_out_everywhere(username: str) -> None:
    """Revoke every refresh token of the user; a user already gone is fine."""
    from botocore.exceptions import ClientError

    try:
        client("cognito-idp").admin_user_global_sign_out(
            UserPoolId=get_settings().user_pool_id, Username=username
        )
    except ClientError as exc:
        if _error_code(exc) != "UserNotFoundException":
            raise
