"""Sign-out over moto (R-CK-1): every session ends and the API refuses the old token; and no
response of any route sets a persistent cookie."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item
from tests.integration.retention_support import (
    ActiveMember,
    make_active_member,
    profile_of,
    scan_all,
)
from tests.support import EVENTS, MEMBER_SUB, api_event, call, claims_for, load_event

OPERATOR = claims_for("7f3c2a10-0000-4000-8000-00000000a001", groups=("privacy-admin",))


def sign_out(claims: dict[str, str]) -> Any:
    return call("session", api_event("sign-out", claims=claims))


def tokens(member: ActiveMember) -> dict[str, str]:
    return dict(
        client("cognito-idp").initiate_auth(
            ClientId=os.environ["USER_POOL_CLIENT_ID"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": member.login_id, "PASSWORD": member.password},
        )["AuthenticationResult"]
    )


def refresh_works(refresh_token: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        client("cognito-idp").initiate_auth(
            ClientId=os.environ["USER_POOL_CLIENT_ID"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    except ClientError:
        return False
    return True


# R-CK-1
def test_sign_out_ends_every_session_and_the_old_token_is_refused(aws_stack) -> None:
    member = make_active_member()
    issued = int(datetime.now(UTC).timestamp()) - 5
    old = member.claims(iat=issued)
    session = tokens(member)
    assert call("profile", api_event("get-profile", claims=old)).status == 200

    signed_out = sign_out(old)

    assert signed_out.status == 200, signed_out.body
    at = int(datetime.fromisoformat(signed_out.body["signedOutAt"]).timestamp())
    assert profile_of(member.member_id)["signedOutAt"] == at
    refused = call("profile", api_event("get-profile", claims=old))
    assert (refused.status, refused.body["code"]) == (401, "UNAUTHORIZED")
    assert sign_out(old).status == 401  # the old token cannot even sign out again
    # Cognito revoked the refresh token: no new token from the old session (global sign-out).
    assert not refresh_works(session["RefreshToken"])
    # A fresh sign-in after that second works.
    assert call("profile", api_event("get-profile", claims=member.claims(iat=at + 1))).status == 200
    # The sign-out itself is a member request: it left a usage record (R-COL-5).
    routes = [r["route"] for r in map(from_item, scan_all("USAGE_RECORDS_TABLE"))]
    assert "POST /members/me/sign-out" in routes


# R-CK-1, R-COL-5
def test_a_suspended_member_can_still_sign_out(aws_stack) -> None:
    member = make_active_member()
    imposed = call(
        "sanctions",
        api_event(
            "admin-impose-sanction",
            body={"reason": "Abusive resale."},
            path_params={"memberId": member.member_id},
        ),
    )
    assert imposed.status == 201
    assert sign_out(member.claims()).status == 200


def test_strangers_and_operators_without_membership_cannot_sign_out(aws_stack) -> None:
    assert sign_out(claims_for("no-such-member")).status == 401
    assert sign_out(OPERATOR).status == 401


def _samples() -> dict[tuple[str, str], str]:
    """(method, resource) -> the events/*.json sample of that route."""
    found = {}
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text("utf-8"))
        if "httpMethod" in event:
            found[(event["httpMethod"], event["resource"])] = path.stem
    return found


def _persistent_cookies(response: dict[str, Any]) -> list[str]:
    values: list[str] = []
    for name, value in (response.get("headers") or {}).items():
        if name.lower() == "set-cookie":
            values.append(str(value))
    for name, many in (response.get("multiValueHeaders") or {}).items():
        if name.lower() == "set-cookie":
            values.extend(str(v) for v in many)
    return [v for v in values if "expires=" in v.lower() or "max-age=" in v.lower()]


# R-CK-1: session cookies only - and the API sets none, persistent or not.
def test_no_route_of_any_function_sets_a_persistent_cookie(aws_stack, template_model) -> None:
    from tests.support import LambdaContext, handler_module

    member = make_active_member()
    samples = _samples()
    answered = 0
    # Routes that end the caller's session or membership go last.
    routes = sorted(
        template_model.routes,
        key=lambda r: r.path in ("/members/me/sign-out", "/members/me/withdrawal"),
    )
    for route in routes:
        name = samples[(route.method, route.path)]
        function_dir = template_model.functions[route.function].code_dir.name
        for claims in (None, OPERATOR, member.claims()):
            event = json.loads(json.dumps(load_event(name)).replace(MEMBER_SUB, member.member_id))
            event["requestContext"].pop("authorizer", None)
            if claims:
                event["requestContext"]["authorizer"] = {"claims": claims}
            response = handler_module(function_dir).lambda_handler(event, LambdaContext())
            assert response["statusCode"] < 500, (route, response.get("body"))
            assert _persistent_cookies(response) == [], (route.method, route.path)
            assert "set-cookie" not in json.dumps(response).lower()
            answered += 1
    assert answered == 3 * len(template_model.routes)


# R-CK-1
def test_a_member_gone_during_sign_out_is_told_the_session_ended(aws_stack) -> None:
    from tests.integration.retention_support import Hook, raw

    member = make_active_member()

    def withdrawn_meanwhile() -> None:
        raw("dynamodb").delete_item(
            TableName=os.environ["MEMBERS_TABLE"],
            Key={"pk": {"S": f"MEMBER#{member.member_id}"}, "sk": {"S": "PROFILE"}},
        )

    Hook("UpdateItem", withdrawn_meanwhile).install()
    refused = sign_out(member.claims())
    assert (refused.status, refused.body["code"]) == (401, "UNAUTHORIZED")
