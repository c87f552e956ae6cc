"""A member's life over the local stack, as a browser and an operator see it: verify, sign up,
wait for approval, sign in, view the profile, correct the phone with a fresh verification."""

from __future__ import annotations

import dataclasses

import pytest

from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

NAME, PHONE, NEW_PHONE = "정담당", "01024681357", "01086420975"


# R-COL-2, R-COL-4, R-RIGHT-1, R-IDV-3, R-SEC-3: the whole path a member takes.
def test_member_lifecycle(local_stack: LocalStack) -> None:
    api = local_stack.api_url
    who = lifecycle.person("lifecycle", NAME, PHONE)
    verification_id = lifecycle.verify(local_stack, who)
    signup = lifecycle.signup_body(local_stack, who, verification_id)
    status, created = lifecycle.http("POST", f"{api}/members", signup)
    assert status == 201, created
    assert created["status"] == "pending_approval"
    member_id = created["memberId"]

    # Pending: the member cannot sign in yet.
    assert lifecycle.refused_sign_in(local_stack, who) == "NotAuthorizedException"

    operator = lifecycle.operator_token(local_stack)
    status, queue = lifecycle.http("GET", f"{api}/admin/members", token=operator)
    assert status == 200, queue
    assert [i["loginId"] for i in queue["items"] if i["memberId"] == member_id] == [who.login_id]
    lifecycle.approve(local_stack, operator, member_id)

    token = local_stack.sign_in(who.login_id, who.password)
    status, profile = lifecycle.http("GET", f"{api}/members/me", token=token)
    assert status == 200, profile
    assert (profile["memberId"], profile["loginId"]) == (member_id, who.login_id)
    assert (profile["name"], profile["phone"], profile["status"]) == (NAME, PHONE, "active")

    # A phone change without a fresh verification is refused; with one it is applied.
    status, refused = lifecycle.http("PATCH", f"{api}/members/me", {"phone": NEW_PHONE}, token)
    assert (status, refused["code"], refused["fields"]) == (
        422,
        "VALIDATION_FAILED",
        ["verificationId"],
    )
    moved = dataclasses.replace(who, phone=NEW_PHONE)
    change_id = lifecycle.verify(local_stack, moved, token)
    status, changed = lifecycle.http(
        "PATCH", f"{api}/members/me", {"phone": NEW_PHONE, "verificationId": change_id}, token
    )
    assert (status, changed["phone"], changed["name"]) == (200, NEW_PHONE, NAME), changed
    assert lifecycle.http("GET", f"{api}/members/me", token=token)[1]["phone"] == NEW_PHONE

    # R-SEC-3: none of it reached a log line of the stack or its functions.
    log = local_stack.log_text()
    assert "signup stored" in log
    for value in (NAME, PHONE, NEW_PHONE, who.login_id, who.password, who.ci):
        assert value not in log
