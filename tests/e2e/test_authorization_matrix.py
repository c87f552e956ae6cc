"""Every template route × {anonymous, member, another member, operator}, over the local stack.

The expected answer of each cell follows from the gate the route declares in its function
(``app.public_route``, ``app.member_route``, ``app.operator_route``: ``PartnerCenterResolver.
gates``), through one rule (``access_of``): a public route answers everyone alike; an operator
route needs an operator, signed in to the operators' pool with password and TOTP, in the
privacy-admin group (no token, or a member's: the authorizer's 401, members and operators sign
in to different pools); a member route acts on the caller only (no token, or an operator's:
401). A route that declares no gate, or whose gate disagrees with its authorizer in
template.yaml, fails the test: a new route cannot be forgotten. Each request is the route's own
sample event (events/*.json), aimed at member A.

"Another member" (B) proves that no route lets one member reach another's data: member routes
take no id at all (so B can only name themself), B's answers never carry A's identifiers, B is
refused on operator routes even when naming A, and A's profile and status are unchanged after
each of B's requests (B's sign-out and withdrawal included).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from local.openapi import DEFAULT_OUTPUT, api_functions, load_app_module
from local.template import Route, TemplateModel, load_template
from partnercenter.api import Gate
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack, running_stack
from tests.support import EVENTS, MEMBER_SUB

pytestmark = pytest.mark.e2e

# The order they are sent in: B before A (A is checked untouched in between), the operator last
# (an operator's route may end A's membership, e.g. a withdrawal on request).
CALLERS = ("anonymous", "another member", "member", "operator")
PUBLIC, OPERATOR_ONLY, MEMBER_SELF = "public", "privacy-admin only", "the calling member only"
REFUSED = {401, 403}
# A 403 for what the request asks, not for who asks: the caller passed the role check.
REFUSED_FOR_PURPOSE = {"NO_RETENTION_PURPOSE"}  # no open hold of that purpose (R-RET-5)


# The authorizer (template.yaml) each kind of gate stands behind.
AUTHORIZER_OF = {
    PUBLIC: None,
    OPERATOR_ONLY: "OperatorsAuthorizer",
    MEMBER_SELF: "MembersAuthorizer",
}
ACCESS_OF_KIND = {"public": PUBLIC, "operator": OPERATOR_ONLY, "member": MEMBER_SELF}


def declared_gates(model: TemplateModel) -> dict[tuple[str, str], Gate]:
    """(METHOD, path) -> the gate each route's function declares, read from the resolvers."""
    gates: dict[tuple[str, str], Gate] = {}
    for code_dir in sorted(set(api_functions(model).values())):
        gates.update(load_app_module(code_dir).app.gates)
    return gates


def access_of(route: Route, gates: dict[tuple[str, str], Gate]) -> str:
    """Who may call the route, from its declared gate; unknown kinds of routes fail loudly."""
    gate = gates.get((route.method, route.path))
    if gate is None:
        raise LookupError(
            f"{route.method} {route.path} declares no gate: write it with app.public_route, "
            "app.member_route or app.operator_route"
        )
    access = ACCESS_OF_KIND[gate.kind]
    if AUTHORIZER_OF[access] != route.authorizer:
        raise LookupError(
            f"{route.method} {route.path} is a {gate.kind} route behind authorizer "
            f"{route.authorizer} in template.yaml"
        )
    if access == MEMBER_SELF and "{" in route.path:
        raise LookupError(
            f"{route.method} {route.path} is a member route that takes an id: add a rule "
            "(and cells) proving another member cannot reach this member's data"
        )
    return access


@dataclass(frozen=True)
class Expected:
    statuses: frozenset[int] | None  # exactly one of these, or None: any granted answer
    code: str | None = None  # the contract error code, when the answer is an error body


GRANTED = Expected(None)  # not refused (401/403), not a 5xx, and documented for the route


def expected(access: str, caller: str) -> Expected:
    if access == PUBLIC:
        return GRANTED
    if caller == "anonymous":
        return Expected(frozenset({401}))  # the authorizer's own answer
    if access == OPERATOR_ONLY:
        if caller == "operator":
            return GRANTED
        return Expected(frozenset({401}), "UNAUTHORIZED")  # not a token of the operators' pool
    if caller == "operator":  # not a token of the members' pool
        return Expected(frozenset({401}), "UNAUTHORIZED")
    return GRANTED


# ---------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class Sample:
    """A route's sample event: what a real client sends."""

    path_parameters: dict[str, str]
    query: dict[str, str]
    body: str | None
    content_type: str


def samples() -> dict[tuple[str, str], Sample]:
    found = {}
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text("utf-8"))
        if "httpMethod" not in event:
            continue  # scheduled events
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        found[(event["httpMethod"], event["resource"])] = Sample(
            path_parameters=event.get("pathParameters") or {},
            query=event.get("queryStringParameters") or {},
            body=event.get("body"),
            content_type=headers.get("content-type", "application/json"),
        )
    return found


def send(
    stack: LocalStack, route: Route, sample: Sample, token: str | None, member_id: str
) -> tuple[int, Any, str]:
    """The sample request, aimed at ``member_id`` wherever the sample names a member."""
    path = route.path
    for name, value in sample.path_parameters.items():
        path = path.replace("{" + name + "}", member_id if name == "memberId" else value)
    body = (sample.body or "").replace(MEMBER_SUB, member_id) or None
    url = f"{stack.api_url}{path}" + (f"?{urlencode(sample.query)}" if sample.query else "")
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = sample.content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, raw = lifecycle.raw_http(route.method, url, body, headers)
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:
        decoded = None
    return status, decoded, raw


# ---------------------------------------------------------------------------- the matrix
@pytest.fixture(scope="module")
def matrix_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("matrix-stack")) as stack:
        yield stack


@pytest.fixture(scope="module")
def template() -> TemplateModel:
    return load_template()


@pytest.fixture(scope="module")
def gates(template: TemplateModel) -> dict[tuple[str, str], Gate]:
    return declared_gates(template)


def test_every_route_has_an_authorization_rule(
    template: TemplateModel, gates: dict[tuple[str, str], Gate]
) -> None:
    problems = []
    for route in template.routes:
        try:
            access_of(route, gates)
        except LookupError as missing:
            problems.append(str(missing))
    assert not problems, "\n".join(problems)
    # Every declaration is a route of the template: none is declared and left unreachable.
    assert set(gates) == {(route.method, route.path) for route in template.routes}


def test_the_rule_refuses_routes_it_does_not_know() -> None:
    with pytest.raises(LookupError, match="declares no gate"):
        access_of(Route("Api", "GET", "/reports", "ReportsFunction", "MembersAuthorizer"), {})
    member = {("GET", "/members/me/x/{id}"): Gate("member")}
    with pytest.raises(LookupError, match="takes an id"):
        access_of(Route("Api", "GET", "/members/me/x/{id}", "F", "MembersAuthorizer"), member)
    operator = {("GET", "/admin/x"): Gate("operator")}
    with pytest.raises(LookupError, match="behind authorizer MembersAuthorizer"):
        access_of(Route("Api", "GET", "/admin/x", "F", "MembersAuthorizer"), operator)


@dataclass
class Pair:
    """Members A and B, replaced by fresh ones when a row ended either (sign-out, withdrawal,
    a sanction): every row starts from two active members whatever the rows before did."""

    stack: LocalStack
    operator: str
    a: lifecycle.Member | None = None
    b: lifecycle.Member | None = None
    a_profile: dict[str, Any] | None = None

    def ready(self) -> tuple[lifecycle.Member, lifecycle.Member, dict[str, Any]]:
        if self.a is None or self._profile(self.a) is None:
            self.a = self._fresh("matrix.a", "한에이")
            self.a_profile = self._profile(self.a)
        if self.b is None or self._profile(self.b) is None:
            self.b = self._fresh("matrix.b", "한비씨")
        assert self.a_profile is not None
        return self.a, self.b, self.a_profile

    def _fresh(self, tag: str, name: str) -> lifecycle.Member:
        who = lifecycle.person(tag, name, lifecycle.random_phone())
        return lifecycle.active_member(self.stack, self.operator, who)

    def _profile(self, member: lifecycle.Member) -> dict[str, Any] | None:
        status, profile = lifecycle.http(
            "GET", f"{self.stack.api_url}/members/me", token=member.token
        )
        return dict(profile) if status == 200 else None


_IDENTITY = ("memberId", "loginId", "name", "phone", "status")


def _judged(where: str, want: Expected, status: int, body: Any, allowed: set[int]) -> str | None:
    """What is wrong with one cell's answer, if anything."""
    if want.statuses is None:
        refused = status in REFUSED and (body or {}).get("code") not in REFUSED_FOR_PURPOSE
        if refused or status >= 500 or status not in allowed:
            return f"{where}; expected it granted (a documented, non-401/403)"
    elif status not in want.statuses:
        return f"{where}; expected {sorted(want.statuses)}"
    elif want.code and (body or {}).get("code") != want.code:
        return f"{where}; expected code {want.code}"
    return None


# R-SEC-2 (access only where the duty needs it), R-RIGHT-1 (a member reaches their own data).
def test_authorization_matrix(
    matrix_stack: LocalStack, template: TemplateModel, gates: dict[tuple[str, str], Gate]
) -> None:
    stack = matrix_stack
    operator = lifecycle.operator_token(stack)
    pair = Pair(stack, operator)
    documented = json.loads(Path(DEFAULT_OUTPUT).read_text("utf-8"))["paths"]
    sample_of = samples()
    cells = 0
    wrong: list[str] = []
    table: list[tuple[str, list[int]]] = []
    for route in template.routes:
        access = access_of(route, gates)
        sample = sample_of.get((route.method, route.path))
        assert sample is not None, f"{route.method} {route.path} has no events/*.json sample"
        allowed = {int(s) for s in documented[route.path][route.method.lower()]["responses"]}
        a, b, a_before = pair.ready()
        tokens = {"anonymous": None, "another member": b.token, "member": a.token}
        tokens["operator"] = operator
        a_identifiers = (a.member_id, a.who.login_id, a.who.name, a.who.phone, a.who.phone_dashed)
        row: list[int] = []
        table.append((f"{route.method} {route.path}", row))
        for caller in CALLERS:
            if caller == "member":
                # All of B's request is behind us: A is as before (profile and status).
                a_now = pair._profile(a)
                if a_now is None or any(a_now[k] != a_before[k] for k in _IDENTITY):
                    wrong.append(f"{route.method} {route.path}: B's request changed A: {a_now}")
            status, body, raw = send(stack, route, sample, tokens[caller], a.member_id)
            cells += 1
            row.append(status)
            where = f"{route.method} {route.path} as {caller} ({access}): {status} {raw[:200]}"
            problem = _judged(where, expected(access, caller), status, body, allowed)
            if problem:
                wrong.append(problem)
            if caller == "another member" and access != PUBLIC:
                leaked = [value for value in a_identifiers if value in raw]
                if leaked:
                    wrong.append(f"{where}; member B's answer carries member A's data")
            if (caller, route.path) == ("operator", "/admin/sign-out"):
                # The operator's token is dead now (R-SEC-2): the next rows need a fresh one.
                queue = f"{stack.api_url}/admin/members?status=pending_approval"
                if lifecycle.http("GET", queue, token=operator)[0] != 401:
                    wrong.append(f"{where}; the signed-out token still works")
                operator = pair.operator = lifecycle.operator_token(stack)
    print(f"\n{'route':58} " + " ".join(f"{c[:9]:>9}" for c in CALLERS))
    for label, statuses in table:
        print(f"{label:58} " + " ".join(f"{s:>9}" for s in statuses))
    assert not wrong, f"{len(wrong)} of {cells} cells wrong:\n" + "\n".join(wrong)
    assert cells == len(template.routes) * len(CALLERS)
