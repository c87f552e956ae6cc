"""A member's access history and export over HTTP on the local stack (R-SEC-2, R-RIGHT-1)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.fixture(scope="module")
def approved(local_stack: LocalStack) -> tuple[lifecycle.Member, str, str]:
    """A member an operator approved; the operator's username and sub, to look for."""
    username, password = f"operator-{uuid.uuid4().hex[:8]}", f"Op9!{uuid.uuid4().hex[:12]}"
    secret = local_stack.create_operator(username, password)
    assert secret is not None
    operator = local_stack.operator_sign_in(username, password, secret)
    who = lifecycle.person("history", "한기록", lifecycle.random_phone())
    member = lifecycle.active_member(local_stack, operator, who)
    return member, username, str(_claims(operator)["sub"])


def test_the_history_over_http_shows_the_approval_as_an_operator_entry(
    local_stack: LocalStack, approved: tuple[lifecycle.Member, str, str]
) -> None:
    # R-SEC-2: the operator's approval shows by role, never by name, login or id.
    member, operator_username, operator_sub = approved
    status, body = lifecycle.raw_http(
        "GET",
        f"{local_stack.api_url}/members/me/access-history",
        None,
        {"Authorization": f"Bearer {member.token}", "Accept": "application/json"},
    )
    assert status == 200, body
    items = json.loads(body)["items"]
    assert {"actorRole": "operator", "action": "approve_signup"} in [
        {"actorRole": i["actorRole"], "action": i["action"]} for i in items
    ]
    assert items[0]["action"] == "view_access_history"
    assert operator_username not in body
    assert operator_sub not in body


def test_the_export_over_http_contains_the_profile(
    local_stack: LocalStack, approved: tuple[lifecycle.Member, str, str]
) -> None:
    # R-RIGHT-1 (열람): the export holds exactly what GET /members/me shows.
    member = approved[0]
    api = local_stack.api_url
    status, profile = lifecycle.http("GET", f"{api}/members/me", None, member.token)
    assert status == 200, profile
    status, exported = lifecycle.http("GET", f"{api}/members/me/export", None, member.token)
    assert status == 200, exported
    assert exported["profile"] == profile
    assert (profile["name"], profile["phone"]) == (member.who.name, member.who.phone)
    assert {(i["actorRole"], i["action"]) for i in exported["accessHistory"]} >= {
        ("member", "export"),
        ("operator", "approve_signup"),
        ("member", "signup"),
    }
