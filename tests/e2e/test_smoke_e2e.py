"""What `make smoke STACK=<name>` checks on a deployed stack; every e2e run checks it locally.

A deployed stack has no vendor simulator, so a member's whole life (test_member_lifecycle_e2e
and the other e2e tests) runs on the local stack only. The smoke covers what needs no real
person: the public policy, the gateway's refusal of a missing token, a verification started at
the vendor, and an operator's sign-in and signup queue. On a deployed stack it leaves a pending
verification (expires by TTL) and the operator's access records (append-only, by design); the
operator's account is deleted afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e import lifecycle

pytestmark = [pytest.mark.e2e, pytest.mark.smoke]


def test_the_policy_in_effect_is_public(target_stack: Any) -> None:
    assert lifecycle.policy_version(target_stack)


def test_a_member_route_without_a_token_is_refused_by_the_gateway(target_stack: Any) -> None:
    status, body = lifecycle.http("GET", f"{target_stack.api_url}/members/me")
    assert (status, body["code"]) == (401, "UNAUTHORIZED"), body


# R-IDV-1: the vendor is configured and reachable enough to seal a request for the browser.
def test_a_verification_starts_at_the_vendor(target_stack: Any) -> None:
    started = lifecycle.start_verification(target_stack)
    uuid.UUID(started["verificationId"])
    assert urlsplit(started["actionUrl"]).scheme in {"http", "https"}
    assert started["formFields"]


# R-COL-4: operators (privacy-admin) see the signups waiting for their decision.
def test_an_operator_signs_in_and_sees_the_signup_queue(target_stack: Any) -> None:
    username = f"smoke-operator-{uuid.uuid4().hex[:8]}"
    password = f"Smoke-{uuid.uuid4().hex[:12]}-9x"
    target_stack.create_user(username, password, groups=(lifecycle.OPERATOR_GROUP,))
    try:
        token = target_stack.sign_in(username, password)
        status, page = lifecycle.http("GET", f"{target_stack.api_url}/admin/members", token=token)
        assert status == 200, page
        assert isinstance(page["items"], list)
    finally:
        target_stack.client("cognito-idp").admin_delete_user(
            UserPoolId=target_stack.user_pool_id, Username=username
        )
