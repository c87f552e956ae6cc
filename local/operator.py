"""``python -m local.operator`` (``make operator``): an operator on the running ``make dev`` stack.

Operators sign in to a user pool of their own that demands an authenticator code (TOTP) at every
sign-in (docs/operators.md). This creates one in that pool, adds it to ``privacy-admin``,
enrolls TOTP the way an authenticator app would, signs in with password and code, and prints
the TOTP secret, the id token and the commands that do the same by hand.

    python -m local.operator                       # a new operator (random name and password)
    python -m local.operator code SECRET           # the authenticator's current code
    python -m local.operator sign-in USER PASSWORD SECRET   # a fresh id token

The enrollment and sign-in helpers here are also what the tests use, so they run against moto
exactly as a newcomer's commands do. moto checks codes only with
``MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true`` (the local stack sets it), and hands every user
the same secret; the codes here are real RFC 6238 codes either way.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shlex
import sys
import time
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

OPERATOR_GROUP = "privacy-admin"
OPERATOR_POOL_PREFIX = "partnercenter-operators"
TIME_STEP = 30  # seconds; Cognito's TOTP: 6 digits, SHA-1, 30-second steps
# A code computed this close to the end of its step may reach Cognito in the next one.
_STEP_MARGIN_SECONDS = 1


def totp(secret: str) -> TOTP:
    """The authenticator for a Cognito ``SecretCode`` (base32, unpadded)."""
    padded = secret + "=" * (-len(secret) % 8)
    key = base64.b32decode(padded, casefold=True)
    # Cognito's secrets may be shorter than the 128 bits cryptography insists on by default.
    # RFC 6238 and Cognito use HMAC-SHA-1, which collisions in SHA-1 do not weaken.
    algorithm = SHA1()  # noqa: S303  # nosec B303
    return TOTP(key, 6, algorithm, TIME_STEP, enforce_key_length=False)


def current_code(secret: str) -> str:
    """The code an authenticator shows now, never one about to expire (waits < 1 s then)."""
    left = TIME_STEP - time.time() % TIME_STEP
    if left < _STEP_MARGIN_SECONDS:
        time.sleep(left)
    return totp(secret).generate(int(time.time())).decode()


def new_password() -> str:
    """A password the operators' pool accepts (12+ characters, every class)."""
    return f"Op9!{secrets.token_hex(8)}"


def create_operator(
    cognito: Any, pool_id: str, username: str, password: str, *, in_group: bool = True
) -> None:
    cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=password, Permanent=True
    )
    if in_group:
        cognito.admin_add_user_to_group(
            UserPoolId=pool_id, Username=username, GroupName=OPERATOR_GROUP
        )


def enrol_totp(cognito: Any, pool_id: str, client_id: str, username: str, password: str) -> str:
    """Enrol an authenticator for the operator; returns its secret.

    On AWS the pool (MFA ON) answers the first password sign-in with ``MFA_SETUP`` and the
    enrollment continues in that session; moto signs the user in instead, and the enrollment
    uses that sign-in's access token, which is then dropped (it was issued without a code).
    """
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if answer.get("ChallengeName") == "MFA_SETUP":
        associated = cognito.associate_software_token(Session=answer["Session"])
        secret = str(associated["SecretCode"])
        verified = cognito.verify_software_token(
            Session=associated["Session"], UserCode=current_code(secret)
        )
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="MFA_SETUP",
            Session=verified["Session"],
            ChallengeResponses={"USERNAME": username},
        )
    else:
        access_token = answer["AuthenticationResult"]["AccessToken"]
        secret = str(cognito.associate_software_token(AccessToken=access_token)["SecretCode"])
        cognito.verify_software_token(AccessToken=access_token, UserCode=current_code(secret))
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username=username,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return secret


def sign_in(cognito: Any, client_id: str, username: str, password: str, secret: str) -> Any:
    """The tokens of a sign-in with password and the authenticator's code."""
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if answer.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
        raise RuntimeError("the operators' pool did not ask for the authenticator code")
    return cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": current_code(secret)},
    )["AuthenticationResult"]


# ---------------------------------------------------------------------------- the command
def _cognito(aws_url: str, region: str) -> Any:
    import boto3

    return boto3.client(
        "cognito-idp",
        endpoint_url=aws_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials  # nosec B106
    )


def operator_pool(cognito: Any) -> tuple[str, str]:
    """The operators' pool and its app client on the running stack."""
    for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]:
        if pool["Name"].startswith(OPERATOR_POOL_PREFIX):
            clients = cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=10)
            return str(pool["Id"]), str(clients["UserPoolClients"][0]["ClientId"])
    raise LookupError("no operators' user pool: is `make dev` running?")


def _instructions(
    *, aws: str, api: str, region: str, client_id: str, username: str, password: str, secret: str
) -> str:
    cli = f"aws --endpoint-url {aws} --region {region} cognito-idp"
    user, pw = shlex.quote(username), shlex.quote(password)
    uri = f"otpauth://totp/partnercenter:{quote(username)}?secret={secret}&issuer=partnercenter"
    return f"""
Sign in by hand (moto takes any AWS credentials; these are fake):
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  # 1. password: Cognito answers with the SOFTWARE_TOKEN_MFA challenge and a session
  SESSION=$({cli} initiate-auth --client-id {client_id} --auth-flow USER_PASSWORD_AUTH \\
      --auth-parameters USERNAME={user},PASSWORD={pw} --query Session --output text)
  # 2. the authenticator's code (or add the secret to an authenticator app: {uri})
  CODE=$(.venv/bin/python -m local.operator code {secret})
  ID_TOKEN=$({cli} respond-to-auth-challenge --client-id {client_id} \\
      --challenge-name SOFTWARE_TOKEN_MFA --session "$SESSION" \\
      --challenge-responses USERNAME={user},SOFTWARE_TOKEN_MFA_CODE=$CODE \\
      --query AuthenticationResult.IdToken --output text)
  # 3. the id token (not the access token) goes to the API
  curl -H "Authorization: Bearer $ID_TOKEN" '{api}/admin/members?status=pending_approval'
  # sign out: every token issued so far stops working at once
  curl -X POST -H "Authorization: Bearer $ID_TOKEN" {api}/admin/sign-out
Or in one step: .venv/bin/python -m local.operator sign-in {user} {pw} {secret}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.operator", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    create = sub.add_parser("create", help="a new operator (the default)")
    create.add_argument("--username", default=None)
    code = sub.add_parser("code", help="the authenticator's current code")
    code.add_argument("secret")
    again = sub.add_parser("sign-in", help="a fresh id token with password and code")
    again.add_argument("username")
    again.add_argument("password")
    again.add_argument("secret")
    args = parser.parse_args(argv)

    if args.command == "code":
        print(current_code(args.secret))
        return 0
    aws = f"http://127.0.0.1:{os.environ.get('PC_AWS_PORT', '5000')}"
    api = f"http://127.0.0.1:{os.environ.get('PC_API_PORT', '3000')}"
    region = os.environ.get("AWS_DEFAULT_REGION") or "ap-northeast-2"
    cognito = _cognito(aws, region)
    try:
        pool_id, client_id = operator_pool(cognito)
    except (LookupError, OSError) as problem:
        print(f"error: {problem} (AWS endpoint {aws})", file=sys.stderr)
        return 2
    if args.command == "sign-in":
        tokens = sign_in(cognito, client_id, args.username, args.password, args.secret)
        print(tokens["IdToken"])
        return 0
    username = getattr(args, "username", None) or f"operator-{secrets.token_hex(3)}"
    password = new_password()
    create_operator(cognito, pool_id, username, password)
    secret = enrol_totp(cognito, pool_id, client_id, username, password)
    tokens = sign_in(cognito, client_id, username, password, secret)
    print(
        f"operator {username} is in {OPERATOR_GROUP}, with TOTP enrolled\n"
        f"  user pool   {pool_id}    app client {client_id}\n"
        f"  password    {password}\n"
        f"  TOTP secret {secret}    current code {current_code(secret)}\n"
        f"  id token (valid 30 minutes):\n{tokens['IdToken']}"
    )
    print(
        _instructions(
            aws=aws,
            api=api,
            region=region,
            client_id=client_id,
            username=username,
            password=password,
            secret=secret,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
