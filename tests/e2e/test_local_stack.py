"""The local stack over HTTP: resources, API Gateway behaviour, authorizer, invoke API, stop."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

from local.api import CognitoAuthorizer, render_claims
from local.provision import STACK_NAME
from local.template import TemplateModel, load_template
from tests.e2e.conftest import ROOT, LocalStack, free_ports

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-horse-9"  # meets the template's policy and moto's default one
ADMIN_GROUP = "privacy-admin"
API_GATEWAY_DATE = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$")


def http(
    method: str, url: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], Any]:
    """Status, headers and JSON body (or text) of one request."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, answer_headers, raw = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, dict(error.headers), error.read()
    try:
        return status, answer_headers, json.loads(raw)
    except ValueError:
        return status, answer_headers, raw.decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def model() -> TemplateModel:
    return load_template()


@pytest.fixture(scope="module")
def users(local_stack: LocalStack) -> dict[str, str]:
    """An operator and a plain member, signed in: username -> id token."""
    secret = local_stack.create_operator("e2e-admin", PASSWORD)
    assert secret is not None
    local_stack.create_user("e2e-member", PASSWORD)
    from local.operator import sign_in

    operator = sign_in(
        local_stack.client("cognito-idp"),
        local_stack.operator_client_id,
        "e2e-admin",
        PASSWORD,
        secret,
    )
    return {
        "e2e-admin": operator["IdToken"],
        "e2e-admin access token": operator["AccessToken"],
        "e2e-member": local_stack.sign_in("e2e-member", PASSWORD),
    }


# ---------------------------------------------------------------------------- resources
def test_every_resource_of_the_template_exists(
    local_stack: LocalStack, model: TemplateModel
) -> None:
    dynamodb = local_stack.client("dynamodb")
    for logical_id, resource in model.tables.items():
        name = f"{STACK_NAME}-{logical_id}"
        assert (
            dynamodb.describe_table(TableName=name)["Table"]["KeySchema"]
            == (resource.properties["KeySchema"])
        )
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        expected_ttl = "ENABLED" if "TimeToLiveSpecification" in resource.properties else "DISABLED"
        assert ttl["TimeToLiveStatus"] == expected_ttl
        backups = dynamodb.describe_continuous_backups(TableName=name)
        pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    kms = local_stack.client("kms")
    descriptions = {
        kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"]
        for key in kms.list_keys()["Keys"]
    }
    assert descriptions == {r.properties["Description"] for r in model.kms_keys.values()}
    secrets = {s["Name"] for s in local_stack.client("secretsmanager").list_secrets()["SecretList"]}
    assert secrets == {f"{STACK_NAME}-{logical_id}" for logical_id in model.secrets}
    cognito = local_stack.client("cognito-idp")
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    assert {p["Id"] for p in pools} == {local_stack.user_pool_id, local_stack.operator_pool_id}
    assert cognito.list_groups(UserPoolId=local_stack.user_pool_id)["Groups"] == []
    groups = cognito.list_groups(UserPoolId=local_stack.operator_pool_id)["Groups"]
    assert {g["GroupName"] for g in groups} == {
        r.properties["GroupName"] for r in model.user_pool_groups.values()
    }
    mfa = cognito.get_user_pool_mfa_config(UserPoolId=local_stack.operator_pool_id)
    assert mfa["MfaConfiguration"] == "ON"
    assert mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    client = cognito.describe_user_pool_client(
        UserPoolId=local_stack.user_pool_id, ClientId=local_stack.client_id
    )["UserPoolClient"]
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]


def test_vendor_secret_is_seeded_as_an_operator_would(local_stack: LocalStack) -> None:
    manager = local_stack.client("secretsmanager")
    value = manager.get_secret_value(SecretId=f"{STACK_NAME}-VendorSecret")["SecretString"]
    assert {"cpId", "urlCode", "cipherKey", "storeId", "apiSecret"} <= set(json.loads(value))


# ---------------------------------------------------------------------------- gateway
def test_public_route_reaches_its_function(local_stack: LocalStack) -> None:
    status, headers, body = http("GET", f"{local_stack.api_url}/privacy-policy")
    assert status == 200
    assert body["version"]
    assert headers["Content-Type"] == "application/json"
    assert headers["x-amzn-RequestId"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("DELETE", "/privacy-policy"), ("GET", "/admin/members/x/y/z")],
)
def test_unknown_route_or_method_is_missing_authentication_token(
    local_stack: LocalStack, method: str, path: str
) -> None:
    status, headers, body = http(method, f"{local_stack.api_url}{path}")
    # template.yaml's MISSING_AUTHENTICATION_TOKEN gateway response: the contract's body.
    assert (status, body["code"], body["requestId"]) == (
        404,
        "NOT_FOUND",
        headers["x-amzn-RequestId"],
    )
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def _other_pool_token(local_stack: LocalStack) -> str:
    cognito = local_stack.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="e2e-foreign")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="foreign", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="foreigner", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="foreigner", Password=PASSWORD, Permanent=True
    )
    return _id_token(local_stack, client, "foreigner")


def _other_client_token(local_stack: LocalStack) -> str:
    client = local_stack.client("cognito-idp").create_user_pool_client(
        UserPoolId=local_stack.user_pool_id,
        ClientName="not-in-the-template",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return _id_token(local_stack, client, "e2e-member")


def _id_token(local_stack: LocalStack, client_id: str, username: str, kind: str = "IdToken") -> str:
    return str(local_stack.authenticate(username, PASSWORD, client_id)[kind])


def _expired_token(valid: str) -> str:
    """The valid token's claims, an hour older, signed with moto's own key."""
    # The key moto signs every pool's tokens with.
    key = jwk.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    claims = jwt.decode(valid, key).claims
    claims.update(exp=int(time.time()) - 60, iat=int(time.time()) - 3660)
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key)


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    return ".".join([header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "garbage",
        "Bearer not.a.jwt",
        "other-pool",
        "other-client",
        "access-token",
        "expired",
        "tampered",
    ],
)
def test_authorizer_refuses(
    local_stack: LocalStack, users: dict[str, str], authorization: str | None
) -> None:
    admin = users["e2e-admin"]
    forged = {
        "other-pool": lambda: _other_pool_token(local_stack),
        "other-client": lambda: _other_client_token(local_stack),
        "access-token": lambda: users["e2e-admin access token"],
        "expired": lambda: _expired_token(admin),
        "tampered": lambda: _tampered(admin),
    }
    headers = {}
    if authorization is not None:
        value = forged[authorization]() if authorization in forged else authorization
        headers["Authorization"] = f"Bearer {value}" if authorization in forged else value
    status, answer_headers, body = http(
        "GET", f"{local_stack.api_url}/admin/members", headers=headers
    )
    assert (status, body["code"]) == (401, "UNAUTHORIZED")
    assert body["requestId"] == answer_headers["x-amzn-RequestId"]
    assert answer_headers["x-amzn-ErrorType"] == "UnauthorizedException"


@pytest.mark.parametrize("prefix", ["Bearer ", ""])
def test_valid_token_reaches_the_function(
    local_stack: LocalStack, users: dict[str, str], prefix: str
) -> None:
    status, headers, body = http(
        "GET",
        f"{local_stack.api_url}/admin/members?status=nonsense",
        headers={"Authorization": prefix + users["e2e-admin"]},
    )
    # The handler answered (its own 422): its body carries the request id the gateway set.
    assert (status, body["code"]) == (422, "VALIDATION_FAILED")
    assert body["requestId"] == headers["x-amzn-RequestId"]


# The issue-2 must-show: 200 for privacy-admin; a member's token is not even one of the
# operators' pool, so the authorizer refuses it (R-SEC-2).
def test_operator_and_member_outcomes_on_an_admin_route(
    local_stack: LocalStack, users: dict[str, str]
) -> None:
    url = f"{local_stack.api_url}/admin/members?status=pending_approval"
    status, _, body = http("GET", url, headers={"Authorization": f"Bearer {users['e2e-admin']}"})
    assert status == 200
    assert isinstance(body["items"], list)
    status, _, body = http("GET", url, headers={"Authorization": f"Bearer {users['e2e-member']}"})
    assert (status, body["code"]) == (401, "UNAUTHORIZED")


def test_claims_are_verified_and_rendered_as_api_gateway_does(
    local_stack: LocalStack, users: dict[str, str]
) -> None:
    authorizer = CognitoAuthorizer(
        local_stack.aws_url,
        local_stack.region,
        {
            local_stack.user_pool_id: frozenset({local_stack.client_id}),
            local_stack.operator_pool_id: frozenset({local_stack.operator_client_id}),
        },
    )
    assert authorizer.verify(f"Bearer {users['e2e-admin']}", [local_stack.user_pool_id]) is None
    claims = authorizer.verify(f"Bearer {users['e2e-admin']}", [local_stack.operator_pool_id])
    assert claims is not None
    rendered = render_claims(claims)
    assert all(isinstance(value, str) for value in rendered.values())
    assert rendered["cognito:groups"] == f"[{ADMIN_GROUP}]"
    assert rendered["token_use"] == "id"
    assert rendered["aud"] == local_stack.operator_client_id
    assert rendered["auth_time"].isdigit()
    assert API_GATEWAY_DATE.match(rendered["exp"])
    assert API_GATEWAY_DATE.match(rendered["iat"])
    member = authorizer.verify(users["e2e-member"], [local_stack.user_pool_id])
    assert member is not None
    assert "cognito:groups" not in member


def test_docs_and_simulator_are_served(local_stack: LocalStack) -> None:
    status, _, body = http("GET", f"{local_stack.api_url}/_docs")
    assert status == 200
    assert "swagger-ui" in body
    status, _, _ = http("GET", f"{local_stack.api_url}/_docs/openapi.json")
    assert status == (200 if (ROOT / "docs" / "openapi.json").is_file() else 404)
    status, _, body = http("GET", f"{local_stack.api_url}/_sim/no-such-page")
    assert status == 404
    assert body.get("code") != "NOT_FOUND"  # the simulator answered


# ---------------------------------------------------------------------------- invoke API
def test_invoke_api_runs_a_function_by_logical_id(local_stack: LocalStack) -> None:
    event = json.loads((ROOT / "events" / "get-privacy-policy.json").read_text("utf-8"))
    answer = local_stack.client("lambda").invoke(
        FunctionName="PolicyFunction", Payload=json.dumps(event)
    )
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read())["statusCode"] == 200


def test_invoke_api_unknown_function_is_resource_not_found(local_stack: LocalStack) -> None:
    with pytest.raises(ClientError) as raised:
        local_stack.client("lambda").invoke(FunctionName="NoSuchFunction", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_logs_hold_access_lines_but_no_credentials(
    local_stack: LocalStack, users: dict[str, str]
) -> None:
    http("GET", f"{local_stack.api_url}/privacy-policy")
    log = local_stack.log_text()
    assert '"routeKey":"/privacy-policy"' in log
    assert PASSWORD not in log
    assert all(token not in log for token in users.values())


# ---------------------------------------------------------------------------- lifecycle
def _group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda p: os.killpg(p.pid, signal.SIGINT), id="ctrl-c-to-the-group"),
        pytest.param(lambda p: p.send_signal(signal.SIGTERM), id="sigterm"),
    ],
)
def test_stack_stops_cleanly_with_no_process_left(
    start_stack: Callable[[], LocalStack], stop: Callable[[subprocess.Popen[bytes]], None]
) -> None:
    stack = start_stack()
    assert http("GET", f"{stack.api_url}/privacy-policy")[0] == 200  # a warm worker exists
    stop(stack.process)
    assert stack.process.wait(timeout=30) == 0
    assert _group_is_gone(stack.process.pid)
    assert "stopped." in stack.log_text()


def test_refuses_to_start_on_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        api_port = taken.getsockname()[1]
        lambda_port, aws_port = free_ports(2)
        env = {
            **os.environ,
            "PC_API_PORT": str(api_port),
            "PC_LAMBDA_PORT": str(lambda_port),
            "PC_AWS_PORT": str(aws_port),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT)]),
        }
        result = subprocess.run(
            [sys.executable, "-m", "local", "--ready-file", str(tmp_path / "ready.json")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"port {api_port} (PC_API_PORT) is already in use" in result.stderr
    assert not (tmp_path / "ready.json").exists()
