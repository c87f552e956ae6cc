"""A member's life over the local stack, as a browser and an operator see it: verify, sign up,
wait for approval, sign in, view the profile, correct the phone with a fresh verification."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

NAME, PHONE, NEW_PHONE, BIRTH = "정담당", "01024681357", "01086420975", "19850615"
CI = "TWVtYmVyX2xpZmVjeWNsZV9lMmU" + "m" * 59 + "=="  # 88 characters, like a real CI
LOGIN_ID, PASSWORD = "lifecycle.e2e", "lifecycle-pass-7"


def _request(
    method: str, url: str, body: Any = None, token: str | None = None, form: bool = False
) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = urlencode(body).encode() if form else json.dumps(body).encode()
        headers["Content-Type"] = (
            "application/x-www-form-urlencoded" if form else "application/json"
        )
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None


def _verify(stack: LocalStack, phone: str, token: str | None = None) -> str:
    """The browser's round trip through the simulated vendor; the verified verificationId."""
    if token is None:
        status, started = _request(
            "POST", f"{stack.api_url}/identity-verifications", {"purpose": "signup"}
        )
    else:
        status, started = _request(
            "POST", f"{stack.api_url}/members/me/identity-verifications", {}, token
        )
    assert status == 201, started
    person = {"simName": NAME, "simPhone": phone, "simBirthDate": BIRTH, "simCi": CI}
    status, vendor = _request(
        "POST", started["actionUrl"], {**started["formFields"], **person}, form=True
    )
    assert status == 200, vendor
    status, done = _request("POST", vendor["callbackUrl"], vendor["fields"], form=True)
    assert (status, done["status"]) == (200, "verified"), done
    return str(started["verificationId"])


def _sign_in_refused(stack: LocalStack) -> str:
    cognito = stack.client("cognito-idp")
    try:
        stack.sign_in(LOGIN_ID, PASSWORD)
    except cognito.exceptions.NotAuthorizedException as refused:
        return str(refused.response["Error"]["Code"])
    return "signed in"


# R-COL-2, R-COL-4, R-RIGHT-1, R-IDV-3, R-SEC-3: the whole path a member takes.
def test_member_lifecycle(local_stack: LocalStack) -> None:
    api = local_stack.api_url
    verification_id = _verify(local_stack, PHONE)
    signup = {
        "verificationId": verification_id,
        "loginId": LOGIN_ID,
        "password": PASSWORD,
        "name": NAME,
        "phone": PHONE,
        "consents": {"required": {"policyVersion": _policy_version(api), "agreed": True}},
    }
    status, created = _request("POST", f"{api}/members", signup)
    assert status == 201, created
    assert created["status"] == "pending_approval"
    member_id = created["memberId"]

    # Pending: the member cannot sign in yet.
    assert _sign_in_refused(local_stack) == "NotAuthorizedException"

    operator = f"operator-{uuid.uuid4().hex[:8]}"
    local_stack.create_user(operator, "operator-pass-1", groups=("privacy-admin",))
    operator_token = local_stack.sign_in(operator, "operator-pass-1")
    status, queue = _request("GET", f"{api}/admin/members", token=operator_token)
    assert status == 200, queue
    assert [i["loginId"] for i in queue["items"] if i["memberId"] == member_id] == [LOGIN_ID]
    status, decided = _request(
        "POST",
        f"{api}/admin/members/{member_id}/decision",
        {"decision": "approve", "reason": "staff of a partner company"},
        operator_token,
    )
    assert (status, decided["status"]) == (200, "active"), decided

    token = local_stack.sign_in(LOGIN_ID, PASSWORD)
    status, profile = _request("GET", f"{api}/members/me", token=token)
    assert status == 200, profile
    assert (profile["memberId"], profile["loginId"]) == (member_id, LOGIN_ID)
    assert (profile["name"], profile["phone"], profile["status"]) == (NAME, PHONE, "active")

    # A phone change without a fresh verification is refused; with one it is applied.
    status, refused = _request("PATCH", f"{api}/members/me", {"phone": NEW_PHONE}, token)
    assert (status, refused["code"], refused["fields"]) == (
        422,
        "VALIDATION_FAILED",
        ["verificationId"],
    )
    change_id = _verify(local_stack, NEW_PHONE, token)
    status, changed = _request(
        "PATCH", f"{api}/members/me", {"phone": NEW_PHONE, "verificationId": change_id}, token
    )
    assert (status, changed["phone"], changed["name"]) == (200, NEW_PHONE, NAME), changed
    assert _request("GET", f"{api}/members/me", token=token)[1]["phone"] == NEW_PHONE

    # R-SEC-3: none of it reached a log line of the stack or its functions.
    log = local_stack.log_text()
    assert "signup stored" in log
    for value in (NAME, PHONE, NEW_PHONE, LOGIN_ID, PASSWORD, CI):
        assert value not in log


def _policy_version(api: str) -> str:
    status, policy = _request("GET", f"{api}/privacy-policy")
    assert status == 200
    return str(policy["version"])
