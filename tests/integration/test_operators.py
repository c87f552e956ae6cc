"""Operators' second factor and revocation over moto (R-SEC-2): real tokens of the operators'
pool, rendered as API Gateway's authorizer hands them on, against the operator routes.

moto signs a user of an MFA-ON pool in with a password alone when no authenticator is enrolled
(AWS would answer MFA_SETUP), so the first test proves our own check, not the pool. moto
checks TOTP codes only with MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP (set here), and then
against the secret it handed out: the codes below are real RFC 6238 codes.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from local.api import render_claims
from local.operator import create_operator, current_code, sign_in
from tests.integration.conftest import PASSWORD, enrolled_operator, operator_pool
from tests.support import api_event, call


@pytest.fixture(autouse=True)
def _moto_checks_totp_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")


def claims_of(id_token: str) -> dict[str, str]:
    """The token's claims as the gateway's Cognito authorizer passes them (it verified them)."""
    payload = id_token.split(".")[1]
    return render_claims(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def list_members(claims: dict[str, str]) -> Any:
    return call("admin", api_event("admin-list-members", claims=claims))


def operator_sign_out(claims: dict[str, str]) -> Any:
    return call("session", api_event("admin-sign-out", claims=claims))


def signed_in_operator(stack: Any, username: str) -> dict[str, Any]:
    secret = enrolled_operator(stack, username)
    _, client_id = operator_pool(stack)
    tokens = sign_in(stack.client("cognito-idp"), client_id, username, PASSWORD, secret)
    return {"secret": secret, "tokens": tokens, "claims": claims_of(tokens["IdToken"])}


# R-SEC-2
def test_an_operator_signed_in_with_a_password_alone_is_refused(aws_stack) -> None:
    pool_id, client_id = operator_pool(aws_stack)
    cognito = aws_stack.client("cognito-idp")
    create_operator(cognito, pool_id, "password.only", PASSWORD)
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "password.only", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    claims = claims_of(tokens["IdToken"])
    assert "privacy-admin" in claims["cognito:groups"]  # the token itself looks fine

    refused = list_members(claims)

    assert (refused.status, refused.body["code"]) == (401, "MFA_REQUIRED")
    assert "password.only" not in json.dumps(refused.body)


# R-SEC-2
def test_an_operator_with_password_and_authenticator_code_is_served(aws_stack) -> None:
    _, client_id = operator_pool(aws_stack)
    operator = signed_in_operator(aws_stack, "with.totp")
    # Once enrolled, a password alone does not even get a token: the pool asks for the code.
    answer = aws_stack.client("cognito-idp").initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "with.totp", "PASSWORD": PASSWORD},
    )
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in answer

    assert list_members(operator["claims"]).status == 200


# R-SEC-2
def test_an_operator_removed_from_the_group_is_refused_at_once(aws_stack) -> None:
    operator = signed_in_operator(aws_stack, "leaving.team")
    assert list_members(operator["claims"]).status == 200

    pool_id, _ = operator_pool(aws_stack)
    aws_stack.client("cognito-idp").admin_remove_user_from_group(
        UserPoolId=pool_id, Username="leaving.team", GroupName="privacy-admin"
    )

    # The same, unexpired token that still says privacy-admin.
    refused = list_members(operator["claims"])
    assert (refused.status, refused.body["code"]) == (403, "FORBIDDEN")


# R-SEC-2
def test_a_disabled_or_deleted_operator_is_refused_at_once(aws_stack) -> None:
    pool_id, _ = operator_pool(aws_stack)
    cognito = aws_stack.client("cognito-idp")
    operator = signed_in_operator(aws_stack, "disabled.one")
    cognito.admin_disable_user(UserPoolId=pool_id, Username="disabled.one")
    refused = list_members(operator["claims"])
    assert (refused.status, refused.body["code"]) == (401, "UNAUTHORIZED")
    cognito.admin_enable_user(UserPoolId=pool_id, Username="disabled.one")
    assert list_members(operator["claims"]).status == 200
    cognito.admin_delete_user(UserPoolId=pool_id, Username="disabled.one")
    assert list_members(operator["claims"]).status == 401


# R-SEC-2
def test_a_signed_out_operator_is_refused_at_once_and_signs_in_again(aws_stack) -> None:
    _, client_id = operator_pool(aws_stack)
    cognito = aws_stack.client("cognito-idp")
    operator = signed_in_operator(aws_stack, "signing.out")
    claims = operator["claims"]
    assert list_members(claims).status == 200

    signed_out = operator_sign_out(claims)

    assert signed_out.status == 200, signed_out.body
    refused = list_members(claims)
    assert (refused.status, refused.body["code"]) == (401, "UNAUTHORIZED")
    assert operator_sign_out(claims).status == 401  # the old token cannot sign out again
    # Cognito's global sign-out revoked the refresh token: no new token from the old session.
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": operator["tokens"]["RefreshToken"]},
        )
    time.sleep(1.1)  # tokens carry whole seconds: sign in again in a later second
    fresh = sign_in(cognito, client_id, "signing.out", PASSWORD, operator["secret"])
    assert list_members(claims_of(fresh["IdToken"])).status == 200


# R-SEC-2
def test_codes_are_checked_here_so_the_accepted_ones_are_real_totp(aws_stack) -> None:
    _, client_id = operator_pool(aws_stack)
    cognito = aws_stack.client("cognito-idp")
    secret = enrolled_operator(aws_stack, "wrong.code")
    code = current_code(secret)
    challenge = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "wrong.code", "PASSWORD": PASSWORD},
    )
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": "wrong.code",
                "SOFTWARE_TOKEN_MFA_CODE": f"{(int(code) + 1) % 1_000_000:06d}",
            },
        )
