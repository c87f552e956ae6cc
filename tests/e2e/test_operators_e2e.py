"""Operators over HTTP on the local stack (R-SEC-2): a password alone is refused, password and
authenticator code are served, removal from privacy-admin and sign-out end access at once, and
`make operator` (python -m local.operator) hands a newcomer a working operator.

The local stack has moto check TOTP codes (against the secret it handed out), so every code
accepted here was a real RFC 6238 code computed by local.operator.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse

import pytest

from tests.e2e import lifecycle
from tests.e2e.conftest import ROOT, LocalStack

pytestmark = pytest.mark.e2e
PASSWORD = "Op9!e2e-operators"
SUBPROCESS_TIMEOUT_SECONDS = 60


def _queue(stack: LocalStack, token: str) -> tuple[int, dict[str, object]]:
    status, body = lifecycle.http(
        "GET", f"{stack.api_url}/admin/members?status=pending_approval", token=token
    )
    return status, dict(body)


# R-SEC-2
def test_a_password_alone_is_refused_and_a_totp_sign_in_is_served(local_stack: LocalStack) -> None:
    stack = local_stack
    username = f"pw-only-{uuid.uuid4().hex[:6]}"
    assert stack.create_operator(username, PASSWORD, totp=False) is None
    # moto lets a password alone through an MFA-ON pool (AWS would not); our check does not.
    password_only = stack.authenticate(username, PASSWORD, stack.operator_client_id)["IdToken"]
    status, body = _queue(stack, password_only)
    assert (status, body["code"]) == (401, "MFA_REQUIRED")

    enrolled = f"totp-{uuid.uuid4().hex[:6]}"
    secret = stack.create_operator(enrolled, PASSWORD)
    assert secret is not None
    answer = stack.client("cognito-idp").initiate_auth(
        ClientId=stack.operator_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": enrolled, "PASSWORD": PASSWORD},
    )
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"  # no token for a password alone
    status, _ = _queue(stack, stack.operator_sign_in(enrolled, PASSWORD, secret))
    assert status == 200


# R-SEC-2
def test_removal_from_the_group_and_sign_out_end_access_at_once(local_stack: LocalStack) -> None:
    stack = local_stack
    leaving, staying = (f"{tag}-{uuid.uuid4().hex[:6]}" for tag in ("leaving", "staying"))
    tokens = {}
    for username in (leaving, staying):
        secret = stack.create_operator(username, PASSWORD)
        assert secret is not None
        tokens[username] = (secret, stack.operator_sign_in(username, PASSWORD, secret))
        assert _queue(stack, tokens[username][1])[0] == 200

    stack.client("cognito-idp").admin_remove_user_from_group(
        UserPoolId=stack.operator_pool_id, Username=leaving, GroupName="privacy-admin"
    )
    status, body = _queue(stack, tokens[leaving][1])
    assert (status, body["code"]) == (403, "FORBIDDEN")

    secret, token = tokens[staying]
    status, signed_out = lifecycle.http("POST", f"{stack.api_url}/admin/sign-out", None, token)
    assert status == 200, signed_out
    status, body = _queue(stack, token)
    assert (status, body["code"]) == (401, "UNAUTHORIZED")
    time.sleep(1.1)  # tokens carry whole seconds: sign in again in a later second
    assert _queue(stack, stack.operator_sign_in(staying, PASSWORD, secret))[0] == 200


# R-SEC-2
def test_make_operator_prints_a_working_sign_in(local_stack: LocalStack) -> None:
    stack = local_stack
    env = {
        **os.environ,
        "PC_AWS_PORT": str(urlparse(stack.aws_url).port),
        "PC_API_PORT": str(urlparse(stack.api_url).port),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT)]),
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "local.operator", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT_SECONDS,
            check=True,
        )
        return done.stdout

    printed = run()
    token = printed.split("id token (valid 30 minutes):\n", 1)[1].split("\n", 1)[0]
    assert _queue(stack, token)[0] == 200
    # The printed one-step sign-in works too: password, secret, a fresh code.
    match = re.search(r"local\.operator sign-in (\S+) (\S+) (\S+)$", printed, re.M)
    assert match is not None, printed
    username, password, secret = (arg.strip("'") for arg in match.groups())
    time.sleep(1.1)
    fresh = run("sign-in", username, password, secret).strip()
    assert _queue(stack, fresh)[0] == 200
    assert re.fullmatch(r"\d{6}", run("code", secret).strip())
