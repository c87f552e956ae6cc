"""A call budget for every route (issue 17): the AWS round trips of one warm request.

Each route runs once to warm its container (clients built, secrets cached), then once more
measured. A change that adds a round trip fails here and must raise the route's budget in
tests/functional/budgets.py on purpose (docs/performance.md gives the table).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from partnercenter.clock import iso, utc_now
from partnercenter.identity import vendor as identity_vendor
from tests.aws_calls import CallCounter
from tests.functional.budgets import BUDGETS
from tests.functional.operators import OPERATORS
from tests.integration.member_steps import OPERATOR, Person, decide, signup_body, verified
from tests.integration.retention_support import ActiveMember, make_active_member
from tests.integration.test_identity_verification import _configure, _simulator
from tests.support import ROOT, ApiResult, api_event, call, claims_for, load_event

# A route's request: the function that serves it and its event, with what it needs in place.
Request = tuple[str, dict[str, Any]]


def load_event_body(name: str) -> dict[str, Any]:
    return dict(json.loads(load_event(name)["body"]))


def _member(event: str, **kwargs: Any) -> Callable[[], Request]:
    function = {
        "get-profile": "profile",
        "patch-profile": "profile",
        "post-consents": "profile",
        "get-access-history": "profile",
        "get-export": "profile",
        "member-identity-verification-start": "identity_verification",
        "rights-list-own-requests": "rights",
        "rights-file-request": "rights",
        "rights-provision-consent": "rights",
        "rights-disclosures": "rights",
        "sign-out": "session",
        "withdrawal": "withdrawal",
    }[event]

    def request() -> Request:
        member = make_active_member()
        return function, api_event(event, claims=member.claims(), **kwargs)

    return request


def _operator(function: str, event: str, **kwargs: Any) -> Callable[[], Request]:
    return lambda: (function, api_event(event, claims=OPERATOR, **kwargs))


def _on_member(function: str, event: str, **kwargs: Any) -> Callable[[], Request]:
    def request() -> Request:
        member = make_active_member()
        path = {"memberId": member.member_id}
        return function, api_event(event, claims=OPERATOR, path_params=path, **kwargs)

    return request


def _done(function: str, event: dict[str, Any]) -> ApiResult:
    result = call(function, event)
    assert 200 <= result.status < 300, (event["resource"], result.status, result.body)
    return result


_CI: dict[str, str] = {}  # verificationId -> the CI of the person it verified


def _signup() -> Request:
    person = Person.new(phone=f"010{uuid.uuid4().int % 10**8:08d}")
    login_id = f"budget{uuid.uuid4().hex[:10]}"
    verification_id = verified(person)
    _CI[verification_id] = person.ci
    return "signup", api_event("signup", body=signup_body(person, verification_id, login_id))


def _profile_change() -> Request:
    person, member_id = _signed_up()
    assert decide(member_id, "approve").status == 200
    moved = Person(person.name, f"010{uuid.uuid4().int % 10**8:08d}", person.ci)
    verification_id = verified(moved, purpose="profile_change", member_id=member_id)
    body = {"phone": moved.phone, "verificationId": verification_id}
    return "profile", api_event("patch-profile", claims=claims_for(member_id), body=body)


def _sanction_body() -> dict[str, str]:
    return {"reason": "Resold tickets in bulk against the terms, article 12."}


_versions = itertools.count(1)


def _policy_version() -> Request:
    body = {
        "version": f"2027-01-{next(_versions):02d}",
        "effectiveAt": "2027-03-01T00:00:00Z",
        "material": True,
        "summary": "Adds a settlement partner as a recipient of third-party provision.",
    }
    return "rights", api_event("admin-publish-policy-version", claims=OPERATOR, body=body)


def _proxy_request_body(member_id: str) -> dict[str, Any]:
    body = dict(load_event_body("admin-file-proxy-request"))
    body["memberId"] = member_id
    return body


def _proxy_request() -> Request:
    body = _proxy_request_body(make_active_member().member_id)
    return "rights", api_event("admin-file-proxy-request", claims=OPERATOR, body=body)


_operators = itertools.cycle(OPERATORS)


def _operator_sign_out() -> Request:
    # A signed-out operator's session has ended: each request signs out another operator.
    claims = claims_for(next(_operators), groups=("privacy-admin",))
    return "session", api_event("admin-sign-out", claims=claims)


def _signed_up() -> tuple[Person, str]:
    function, event = _signup()
    person_body = json.loads(event["body"])
    member_id = str(_done(function, event).body["memberId"])
    return Person(
        person_body["name"], person_body["phone"], _CI[person_body["verificationId"]]
    ), member_id


def _pending_decision() -> Request:
    _, member_id = _signed_up()
    body = {"decision": "approve", "reason": "checked with the partner"}
    path = {"memberId": member_id}
    return "admin", api_event("admin-decision", claims=OPERATOR, body=body, path_params=path)


def _fee_settlement_provision() -> dict[str, Any]:
    body = dict(load_event_body("admin-record-provision"))
    body["legalBasis"] = "fee_settlement"
    return body


def _with_hold(event: str) -> Callable[[], Request]:
    def request() -> Request:
        member = make_active_member()
        path = {"memberId": member.member_id}
        added = _done("holds", api_event("admin-add-hold", claims=OPERATOR, path_params=path))
        path["holdId"] = added.body["holdId"]
        return "holds", api_event(event, claims=OPERATOR, path_params=path)

    return request


def _with_sanction() -> Request:
    member = make_active_member()
    path = {"memberId": member.member_id}
    event = api_event(
        "admin-impose-sanction", claims=OPERATOR, path_params=path, body=_sanction_body()
    )
    imposed = _done("sanctions", event)
    path["sanctionId"] = imposed.body["sanctionId"]
    return "sanctions", api_event("admin-lift-sanction", claims=OPERATOR, path_params=path)


def _with_notice(event: str) -> Callable[[], Request]:
    def request() -> Request:
        created = _done("notices", api_event("admin-create-notice", claims=OPERATOR))
        path = {"noticeId": created.body["noticeId"]}
        return "notices", api_event(event, claims=OPERATOR, path_params=path)

    return request


def _filed_request(member: ActiveMember) -> str:
    filed = _done("rights", api_event("rights-file-request", claims=member.claims()))
    return str(filed.body["requestId"])


def _filed_proxy_request() -> str:
    filed = _done(*_proxy_request())
    return str(filed.body["requestId"])


def _with_request(event: str, **kwargs: Any) -> Callable[[], Request]:
    def request() -> Request:
        path = {"requestId": _filed_proxy_request()}
        return "rights", api_event(event, claims=OPERATOR, path_params=path, **kwargs)

    return request


def _answer() -> Request:
    request_id = _filed_proxy_request()
    path = {"requestId": request_id}
    _done("rights", api_event("admin-evidence-checked", claims=OPERATOR, path_params=path))
    return "rights", api_event("admin-answer-privacy-request", claims=OPERATOR, path_params=path)


def _callback() -> Request:
    from tests.integration.test_identity_verification import at_vendor, start

    started = start()
    fields = at_vendor(_VENDOR[0], started)
    path = {"verificationId": started["verificationId"]}
    from urllib.parse import urlencode

    return "identity_verification", api_event(
        "identity-verification-callback", path_params=path, raw_body=urlencode(fields)
    )


def _withdrawal_on_request() -> Request:
    body = dict(load_event_body("admin-withdrawal-on-request"))
    del body["proxy"]  # the member asked in person
    body["receivedAt"] = iso(utc_now())
    path = {"memberId": make_active_member().member_id}
    event = api_event("admin-withdrawal-on-request", claims=OPERATOR, body=body, path_params=path)
    return "withdrawal", event


def _retained_read() -> Request:
    member = make_active_member()
    path = {"memberId": member.member_id}
    _done("holds", api_event("admin-add-hold", claims=OPERATOR, path_params=path))
    _done("withdrawal", api_event("withdrawal", claims=member.claims(), body={}))
    return "retained_data", api_event("admin-read-retained-data", claims=OPERATOR, path_params=path)


_VENDOR: list[Any] = []

SCENARIOS: dict[str, Callable[[], Request]] = {
    "POST /members": _signup,
    "GET /members/me": _member("get-profile"),
    "PATCH /members/me": _profile_change,
    "POST /members/me/consents": _member("post-consents"),
    "GET /members/me/access-history": _member("get-access-history"),
    "GET /members/me/export": _member("get-export"),
    "POST /members/me/identity-verifications": _member(
        "member-identity-verification-start", body={}
    ),
    "GET /members/me/privacy-requests": _member("rights-list-own-requests"),
    "POST /members/me/privacy-requests": _member("rights-file-request"),
    "POST /members/me/provision-consents": _member("rights-provision-consent"),
    "GET /members/me/disclosures": _member("rights-disclosures"),
    "POST /members/me/sign-out": _member("sign-out"),
    "POST /members/me/withdrawal": _member("withdrawal", body={}),
    "GET /privacy-policy": lambda: ("policy", api_event("get-privacy-policy")),
    "POST /identity-verifications": lambda: (
        "identity_verification",
        api_event("identity-verification-start", body={"purpose": "signup"}),
    ),
    "POST /identity-verifications/{verificationId}/callback": _callback,
    "GET /admin/access-review": _operator("access_review", "admin-access-review"),
    "GET /admin/destruction-records": _operator("admin", "admin-destruction-records"),
    "GET /admin/members": _operator("admin", "admin-list-members"),
    "POST /admin/members/{memberId}/decision": _pending_decision,
    "GET /admin/members/{memberId}/holds": _on_member("holds", "admin-list-holds"),
    "POST /admin/members/{memberId}/holds": _on_member("holds", "admin-add-hold"),
    "POST /admin/members/{memberId}/holds/{holdId}/release": _with_hold("admin-release-hold"),
    "POST /admin/members/{memberId}/provisions": _on_member(
        "rights", "admin-record-provision", body=_fee_settlement_provision()
    ),
    "GET /admin/members/{memberId}/sanctions": _on_member("sanctions", "admin-list-sanctions"),
    "POST /admin/members/{memberId}/sanctions": _on_member(
        "sanctions", "admin-impose-sanction", body=_sanction_body()
    ),
    "POST /admin/members/{memberId}/sanctions/{sanctionId}/lift": _with_sanction,
    "POST /admin/members/{memberId}/withdrawal": _withdrawal_on_request,
    "POST /admin/members/{memberId}/retained-data/reads": _retained_read,
    "POST /admin/notices": _operator("notices", "admin-create-notice"),
    "GET /admin/notices/{noticeId}": _with_notice("admin-get-notice"),
    "POST /admin/notices/{noticeId}/authority-reports": _with_notice("admin-report-breach"),
    "POST /admin/policy-versions": _policy_version,
    "GET /admin/privacy-requests": _operator("rights", "admin-list-privacy-requests"),
    "POST /admin/privacy-requests": _proxy_request,
    "GET /admin/privacy-requests/{requestId}": _with_request("admin-get-privacy-request"),
    "POST /admin/privacy-requests/{requestId}/evidence-checked": _with_request(
        "admin-evidence-checked"
    ),
    "POST /admin/privacy-requests/{requestId}/answer": _answer,
    "POST /admin/sign-out": _operator_sign_out,
}


def _documented_routes() -> set[str]:
    spec = json.loads((ROOT / "docs" / "openapi.json").read_text("utf-8"))
    return {f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops}


def test_every_documented_route_has_a_budget_and_is_measured() -> None:
    assert set(BUDGETS) == _documented_routes()
    assert set(SCENARIOS) == set(BUDGETS)


@pytest.mark.parametrize("route", sorted(SCENARIOS))
def test_a_warm_request_stays_within_its_route_budget(
    route: str, calls: CallCounter, aws_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ExitStack() as vendor:
        if route.startswith("POST /identity-verifications/"):
            _VENDOR[:] = [_simulator(aws_stack)]
            _configure(monkeypatch, "kmc")
            vendor.enter_context(identity_vendor.vendor_transport(_VENDOR[0].transport))
        # Both requests are prepared first (preparing may run other functions, which the
        # tests treat as other containers); the first warms the container, the second counts.
        (function, warm_up), (_, event) = SCENARIOS[route](), SCENARIOS[route]()
        _done(function, warm_up)
        measured, _items = calls.measure(lambda: _done(function, event))
    assert f"{event['httpMethod']} {event['resource']}" == route
    detail = ", ".join(f"{op} {n}" for op, n in sorted(measured.items()))
    # Pinned, not a ceiling: a route that needs fewer calls lowers its budget in the same
    # change, so budgets.py and docs/performance.md stay the truth.
    assert sum(measured.values()) == BUDGETS[route], f"{route}: {detail}"
