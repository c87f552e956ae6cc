"""A privacy request's answer does the work, over HTTP on the local stack (R-RIGHT-2/3).

Each test has its own member (a Cognito user and the items signup shapes), made in process
against the stack's AWS emulation as tests/e2e/test_rights_e2e.py does; an overdue request is
filed with a clock 11 days back, which cannot be waited for over HTTP.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack
from tests.e2e.test_rights_e2e import _environment, _reset_caches

pytestmark = pytest.mark.e2e

PASSWORD = "Acts-pass-2026"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def in_stack(local_stack: LocalStack) -> Iterator[None]:
    """This process's partnercenter code talks to the stack's AWS emulation."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _environment(local_stack).items():
            patch.setenv(name, value)
        _reset_caches()
        yield
    _reset_caches()


def _member(stack: LocalStack) -> tuple[str, str, str]:
    """An active member who can sign in: (login id, member id, id token)."""
    number = next(_numbers)
    login_id = f"acts.member{number}"
    member_id = lifecycle.seeded_member(
        stack, login_id, PASSWORD, f"최요청{number}", f"0105560{number:04d}", "e2e-acts"
    )
    return login_id, member_id, stack.sign_in(login_id, PASSWORD)


def _file(api: str, kind: str, token: str) -> str:
    status, filed = lifecycle.http(
        "POST", f"{api}/members/me/privacy-requests", {"kind": kind}, token
    )
    assert status == 201, filed
    return str(filed["requestId"])


def _answer(api: str, request_id: str, body: dict[str, Any], operator: str) -> tuple[int, Any]:
    return lifecycle.http(
        "POST", f"{api}/admin/privacy-requests/{request_id}/answer", body, operator
    )


def test_a_delete_request_answered_done_leaves_the_member_unable_to_sign_in(
    local_stack: LocalStack, in_stack: None
) -> None:
    # R-RIGHT-3 (삭제), R-RIGHT-2: the answer is the operator withdrawal, in the same call.
    api, operator = local_stack.api_url, lifecycle.operator_token(local_stack)
    login_id, _, token = _member(local_stack)
    request_id = _file(api, "delete", token)
    status, done = _answer(api, request_id, {"outcome": "done"}, operator)
    assert status == 200, done
    assert (done["state"], done["requesterNotified"]) == ("answered", True)
    # Real Cognito (PreventUserExistenceErrors) says NotAuthorized; moto says UserNotFound.
    with pytest.raises(ClientError) as refused:
        local_stack.sign_in(login_id, PASSWORD)
    assert refused.value.response["Error"]["Code"] in {
        "NotAuthorizedException",
        "UserNotFoundException",
    }
    status, gone = lifecycle.http("GET", f"{api}/members/me", token=token)
    assert (status, gone["code"]) == (401, "UNAUTHORIZED")


def test_a_delayed_request_carries_a_later_due_date(
    local_stack: LocalStack, in_stack: None
) -> None:
    # R-RIGHT-3: a delay gives a new dueAt (10 days from the delay), overdue past it.
    from partnercenter.api import Caller
    from partnercenter.clock import parse_iso
    from partnercenter.rights.requests import PrivacyRequestFiling, file_request

    api, operator = local_stack.api_url, lifecycle.operator_token(local_stack)
    _, member_id, _ = _member(local_stack)
    caller = Caller(member_id, (), int(datetime.now(UTC).timestamp()), "127.0.0.1")
    filed = file_request(
        caller, PrivacyRequestFiling(kind="view"), datetime.now(UTC) - timedelta(days=11)
    )
    url = f"{api}/admin/privacy-requests/{filed.request_id}"
    status, before = lifecycle.http("GET", url, token=operator)
    assert (status, before["overdue"]) == (200, True)
    status, delayed = _answer(
        api, filed.request_id, {"outcome": "delayed", "reason": "Archive restore."}, operator
    )
    assert status == 200, delayed
    assert parse_iso(delayed["dueAt"]) > parse_iso(before["dueAt"])
    assert parse_iso(delayed["dueAt"]) > datetime.now(UTC) + timedelta(days=9)
    status, after = lifecycle.http("GET", url, token=operator)
    assert (status, after["state"], after["dueAt"], after["overdue"]) == (
        200,
        "delayed",
        delayed["dueAt"],
        False,
    )


def test_a_consent_based_provision_during_a_suspension_is_refused(
    local_stack: LocalStack, in_stack: None
) -> None:
    # R-RIGHT-3 (처리정지), R-USE-2: consent-based provision is optional; a statute's is not.
    api, operator = local_stack.api_url, lifecycle.operator_token(local_stack)
    _, member_id, token = _member(local_stack)
    terms = {
        "recipient": "Ticket Settlement Partner",
        "purpose": "sales settlement",
        "items": ["name", "phone"],
        "retentionPeriod": "until the settlement completes",
    }
    status, _ = lifecycle.http(
        "POST", f"{api}/members/me/provision-consents", {**terms, "agreed": True}, token
    )
    assert status == 200
    request_id = _file(api, "suspend", token)
    status, done = _answer(api, request_id, {"outcome": "done"}, operator)
    assert status == 200, done
    provisions = f"{api}/admin/members/{member_id}/provisions"
    status, refused = lifecycle.http(
        "POST", provisions, {**terms, "legalBasis": "consent"}, operator
    )
    assert (status, refused["code"]) == (409, "PROCESSING_SUSPENDED")
    statute = {**terms, "legalBasis": "statute", "statute": "국세기본법 제85조의3"}
    status, kept = lifecycle.http("POST", provisions, statute, operator)
    assert status == 201, kept
