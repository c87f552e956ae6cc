"""Fuzzing every route of docs/openapi.json over the local stack (schemathesis).

Four phases, one stack:

- **stateless, fixed**: each operation gets positive cases (valid per the document) and negative
  ones, sent with a valid id token of the caller the route is for: an operator on /admin/*, an
  active member (a fresh one per operation) on /members/me*, nobody on public routes. Routes
  taking a member id get extra cases aimed at a real member, and the privacy-request routes at
  a real request, so that the handlers run past "no such member". Derandomized: the same cases
  every run.
- **stateless, seeded**: fewer cases per operation, from a seed that changes every run
  (``PC_FUZZ_SEED`` replays one; the seed is printed and named in every failure).
- **stateful**: schemathesis' state machine follows the document's links (each paginated
  route's answer links to its next page), so issued ``nextToken`` values flow back in, once
  derandomized and once with the seed.
- **aimed**: issue 13's bad input - forged, other routes', other callers' and garbage page
  tokens on the five paginated routes, calendar edges on the range routes, JSON nested past
  the bound on every JSON route, a withdrawal whose body is an array, upper-case media types.

Every answer must be documented (status, content type, body schema) and none may be a 5xx.
Failures are collected (not shrunk) so that one run reports all of them. Nothing here
asserts how long anything takes: timing belongs in ``make bench``.

Own stack: fuzzing publishes policy versions and files requests that other e2e tests must not
see.
"""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.openapi import DEFAULT_OUTPUT
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack, running_stack

pytestmark = pytest.mark.e2e

POSITIVE_CASES = 10  # per operation (fewer where the schema allows fewer distinct requests)
NEGATIVE_CASES = 7
AIMED_CASES = 5  # per operation taking a memberId/requestId, aimed at a real one
SEEDED_CASES = 4  # per operation and mode, from the changing seed
STATEFUL_SCENARIOS = 12  # per pass; each a chain of linked calls
STATEFUL_STEPS = 5
MIN_TOTAL_CASES = 1000
REQUEST_TIMEOUT_SECONDS = 30
SEED_VARIABLE = "PC_FUZZ_SEED"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PAGINATED = [
    "/admin/members",
    "/admin/destruction-records",
    "/admin/privacy-requests",
    "/members/me/privacy-requests",
    "/members/me/disclosures",
    "/members/me/access-history",
]
RANGE_ROUTES = ["/admin/destruction-records", "/admin/access-review"]
MONTH = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-31T23:59:59Z"}


def _seed() -> int:
    return int(os.environ.get(SEED_VARIABLE) or secrets.randbelow(2**32))


@dataclass(frozen=True)
class Subjects:
    """Who one operation's cases run as (token) and aim at (path parameters)."""

    token: str | None
    aimed: dict[str, str] | None


def _subjects(stack: LocalStack, operator: str, path: str) -> Subjects:
    """Fresh for every operation: some routes end the member's sessions or membership
    (sign-out, withdrawal, sanctions), which must not starve the operations after them."""
    if path == "/admin/sign-out":  # ends the operator's sessions: a token of its own (R-SEC-2)
        return Subjects(lifecycle.operator_token(stack), None)
    member = None
    if path.startswith("/members/me") or "{memberId}" in path or "{requestId}" in path:
        member = _member(stack, operator)
    token = operator if path.startswith("/admin/") else (member.token if member else None)
    aimed: dict[str, str] = {}
    if member and "{memberId}" in path:
        aimed["memberId"] = member.member_id
    if member and "{requestId}" in path:
        aimed["requestId"] = _file_request(stack, member)
    return Subjects(token, aimed or None)


def _member(stack: LocalStack, operator: str) -> lifecycle.Member:
    who = lifecycle.person("fuzz", "문퍼즈", lifecycle.random_phone())
    return lifecycle.active_member(stack, operator, who)


def _file_request(stack: LocalStack, member: lifecycle.Member) -> str:
    status, filed = lifecycle.http(
        "POST", f"{stack.api_url}/members/me/privacy-requests", {"kind": "view"}, member.token
    )
    assert status == 201, filed
    return str(filed["requestId"])


@dataclass
class Run:
    seed: int
    cases: int = 0
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)
    tokens_followed: int = 0  # stateful steps that resumed a page with an issued token

    def validate(self, case: Any, response: Any, label: str) -> None:
        self.cases += 1
        self.statuses.setdefault(case.operation.label, Counter())[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as failed:  # schemathesis' FailureGroup
            curl = case.as_curl_command(headers={"Authorization": "Bearer <token>"})
            self.failures.append(f"{label} (seed {self.seed}): {failed}\n{curl}")


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("fuzz-stack")) as stack:
        yield stack


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


# ---------------------------------------------------------------------------- stateless
def _fuzz(
    stack: LocalStack,
    operation: Any,
    mode: GenerationMode,
    examples: int,
    token: str | None,
    run: Run,
    *,
    seed: int | None = None,
    path_parameters: dict[str, str] | None = None,
) -> None:
    aimed = ", aimed" if path_parameters else ""
    label = f"{operation.label} [{mode.value}{aimed}{', seeded' if seed is not None else ''}]"

    @settings(
        max_examples=examples,
        derandomize=seed is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def send(case: Any) -> None:
        response = case.call(
            base_url=stack.api_url, headers=_headers(token), timeout=REQUEST_TIMEOUT_SECONDS
        )
        run.validate(case, response, label)

    if seed is not None:
        send = hypothesis.seed(seed)(send)
    try:
        send()
    except Unsatisfiable:
        # e.g. no invalid request exists for a route whose only input is a free string
        run.unsatisfiable.append(label)


# ---------------------------------------------------------------------------- stateful
def _provide(stack: LocalStack, operator: str, member: lifecycle.Member) -> None:
    status, provided = lifecycle.http(
        "POST",
        f"{stack.api_url}/admin/members/{member.member_id}/provisions",
        {
            "recipient": "Melon Ticket Settlement Co.",
            "purpose": "ticket sales settlement",
            "items": ["name"],
            "retentionPeriod": "1 year after the settlement",
            "legalBasis": "fee_settlement",
        },
        operator,
    )
    assert status == 201, provided


def _lists_with_pages(stack: LocalStack, operator: str) -> lifecycle.Member:
    """A member with three requests and three disclosures, and three pending signups: every
    list but the destruction records has a second page at ``limit`` 2."""
    member = _member(stack, operator)
    for _ in range(3):
        _file_request(stack, member)
        _provide(stack, operator, member)
        lifecycle.sign_up(stack, lifecycle.person("pend", "문대기", lifecycle.random_phone()))
    return member


def _stateful(
    stack: LocalStack,
    schema: Any,
    operator: str,
    member: lifecycle.Member,
    run: Run,
    seed: int | None,
) -> None:
    # The lists and what fills one: scenarios among them follow nextToken links often (the
    # stateless phases cover every other operation).
    linked = schema.include(
        lambda ctx: ctx.operation.path in PAGINATED
        or ctx.operation.label == "POST /members/me/privacy-requests"
    )

    class Fuzz(linked.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # A first page of at most two rows, so that most lists have a next page to link to.
            query = dict(case.query or {})
            limit = query.get("limit")
            first_page = case.operation.path in PAGINATED and not query.get("nextToken")
            if first_page and (limit is None or (isinstance(limit, int) and limit > 2)):
                case.query = {**query, "limit": 2}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            path = case.operation.path
            token = operator if path.startswith("/admin/") else None
            if path.startswith("/members/me"):
                token = member.token
            return {
                "base_url": stack.api_url,
                "headers": _headers(token),
                "timeout": REQUEST_TIMEOUT_SECONDS,
            }

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            run.validate(case, response, f"{case.operation.label} [stateful]")
            # A token that is not ours is a 422: a 200 here resumed an issued page.
            if (case.query or {}).get("nextToken") and response.status_code == 200:
                run.tokens_followed += 1

    machine: Any = Fuzz if seed is None else hypothesis.seed(seed)(Fuzz)
    machine.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=seed is None,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )


# ---------------------------------------------------------------------------- aimed
def _send(
    stack: LocalStack,
    run: Run,
    operation: Any,
    token: str | None,
    label: str,
    *,
    query: dict[str, str] | None = None,
    body: str | None = None,
    content_type: str = "application/json",
) -> Any:
    case = operation.Case(query=query, path_parameters=_any_path(operation))
    headers = _headers(token)
    extra: dict[str, Any] = {}
    if body is not None:
        headers["Content-Type"] = content_type
        extra["data"] = body.encode()
    response = case.call(
        base_url=stack.api_url, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS, **extra
    )
    run.validate(case, response, f"{operation.label} [aimed: {label}]")
    return response


def _any_path(operation: Any) -> dict[str, str]:
    names = [p.name for p in operation.path_parameters]
    return dict.fromkeys(names, "00000000-0000-4000-8000-000000000000")


def _code(response: Any) -> tuple[int, str | None]:
    try:
        return response.status_code, json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return response.status_code, None


@dataclass
class _Aim:
    """What issue 13's aimed cases share: the stack, its callers and the answers found wrong."""

    stack: LocalStack
    operations: dict[str, Any]
    operator: str
    run: Run
    member: lifecycle.Member
    other_member: lifecycle.Member
    other_operator: str
    wrong: list[str] = field(default_factory=list)

    def token_of(self, path: str) -> str:
        return self.member.token if path.startswith("/members/me") else self.operator

    def send(self, operation: Any, token: str | None, why: str, **request: Any) -> Any:
        return _send(self.stack, self.run, operation, token, why, **request)

    def expect(self, response: Any, status: int, code: str, what: str) -> None:
        if _code(response) != (status, code):
            self.wrong.append(f"{what}: {_code(response)}, expected {(status, code)}")


def _aimed(stack: LocalStack, operations: dict[str, Any], operator: str, run: Run) -> list[str]:
    """Issue 13's cases; returns those that did not answer as the contract says."""
    member = _member(stack, operator)
    for _ in range(2):
        _file_request(stack, member)
        _provide(stack, operator, member)
    other_member = _member(stack, operator)
    other_operator = lifecycle.operator_token(stack)
    aim = _Aim(stack, operations, operator, run, member, other_member, other_operator)
    _aimed_page_tokens(aim)
    _aimed_calendar_edges(aim)
    _aimed_bodies(aim)
    return aim.wrong


def _aimed_page_tokens(aim: _Aim) -> None:
    query_of = {
        "/admin/members": {"status": "active"},
        "/admin/destruction-records": MONTH,
        "/admin/privacy-requests": {"state": "open"},
    }
    issued: dict[str, str] = {}
    for path in PAGINATED:
        operation = aim.operations[f"GET {path}"]
        first = aim.send(
            operation, aim.token_of(path), "first page",
            query={**query_of.get(path, {}), "limit": "1"},
        )  # fmt: skip
        token = json.loads(first.content).get("nextToken") if first.status_code == 200 else None
        if token:
            issued[path] = token
    for path in PAGINATED:
        operation = aim.operations[f"GET {path}"]
        query = {**query_of.get(path, {}), "limit": "1"}
        refused = ["eyJ4IjoxfQ==", "%%%", "a.b", "x" * 2048]
        refused += [token for other, token in issued.items() if other != path]
        for token in refused:
            answer = aim.send(
                operation, aim.token_of(path), "foreign token",
                query={**query, "nextToken": token},
            )  # fmt: skip
            aim.expect(answer, 422, "VALIDATION_FAILED", f"GET {path} with a foreign token")
        if path in issued:
            caller = (
                aim.other_member.token if path.startswith("/members/me") else aim.other_operator
            )
            answer = aim.send(
                operation, caller, "another caller's token",
                query={**query, "nextToken": issued[path]},
            )  # fmt: skip
            aim.expect(answer, 422, "VALIDATION_FAILED", f"GET {path} with another caller's token")


def _aimed_calendar_edges(aim: _Aim) -> None:
    for path in RANGE_ROUTES:
        operation = aim.operations[f"GET {path}"]
        for start, end, status in [
            ("0999-12-31T00:00:00Z", "1000-01-01T00:00:00Z", 422),
            ("0001-01-01T00:00:00+01:00", "0001-01-01T01:00:00Z", 422),
            ("2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", 422),
            ("1000-01-01T00:00:00+23:59", "1000-01-02T00:00:00-23:59", 200),
            ("9999-12-31T00:00:00+23:59", "9999-12-31T23:59:59-23:59", 200),
        ]:
            answer = aim.send(
                operation, aim.operator, "calendar edge", query={"from": start, "to": end}
            )
            if answer.status_code != status:
                aim.wrong.append(
                    f"GET {path} {start}..{end}: {answer.status_code}, expected {status}"
                )


def _aimed_bodies(aim: _Aim) -> None:
    for label, operation in aim.operations.items():
        content = (operation.definition.raw.get("requestBody") or {}).get("content", {})
        if "application/json" not in content:
            continue
        for body in ("[" * 990 + "]" * 990, '{"a":' * 990 + "1" + "}" * 990):
            answer = aim.send(operation, aim.token_of(operation.path), "deep JSON", body=body)
            aim.expect(answer, 422, "VALIDATION_FAILED", f"{label} with deep JSON")
    withdrawal = aim.operations["POST /members/me/withdrawal"]
    answer = aim.send(withdrawal, aim.member.token, "array body", body="[null, null]")
    aim.expect(answer, 422, "VALIDATION_FAILED", "withdrawal with [null, null]")
    status, profile = lifecycle.http(
        "GET", f"{aim.stack.api_url}/members/me", None, aim.member.token
    )
    if (status, profile.get("status")) != (200, "active"):
        aim.wrong.append(f"the member is no longer active after [null, null]: {status}")
    start = aim.operations["POST /identity-verifications"]
    for content_type in ("APPLICATION/JSON", "Application/Json; Charset=UTF-8"):
        answer = aim.send(
            start, None, "media type", body='{"purpose": "signup"}', content_type=content_type
        )
        if answer.status_code != 201:
            aim.wrong.append(f"POST /identity-verifications as {content_type}: {_code(answer)}")


# ---------------------------------------------------------------------------- the test
# Issues 8 and 13: at least 1,000 generated cases over every route, stateful and aimed cases,
# no 5xx, every answer documented.
def test_every_route_answers_as_documented(fuzz_stack: LocalStack) -> None:
    seed = _seed()
    print(f"\nfuzzing with seed {seed} (replay: {SEED_VARIABLE}={seed})")
    operator = lifecycle.operator_token(fuzz_stack)
    schema = schemathesis.openapi.from_path(Path(DEFAULT_OUTPUT))
    operations = [result.ok() for result in schema.get_all_operations()]
    run = Run(seed)
    for operation in operations:
        subjects = _subjects(fuzz_stack, operator, operation.path)
        token = subjects.token
        for mode, examples in (
            (GenerationMode.POSITIVE, POSITIVE_CASES),
            (GenerationMode.NEGATIVE, NEGATIVE_CASES),
        ):
            _fuzz(fuzz_stack, operation, mode, examples, token, run)
            _fuzz(fuzz_stack, operation, mode, SEEDED_CASES, token, run, seed=seed)
        if subjects.aimed:
            _fuzz(
                fuzz_stack,
                operation,
                GenerationMode.POSITIVE,
                AIMED_CASES,
                token,
                run,
                path_parameters=subjects.aimed,
            )
    member = _lists_with_pages(fuzz_stack, operator)
    for stateful_seed in (None, seed):
        _stateful(fuzz_stack, schema, operator, member, run, stateful_seed)
    wrong = _aimed(fuzz_stack, {op.label: op for op in operations}, operator, run)

    summary = "\n".join(f"  {label}: {dict(c)}" for label, c in run.statuses.items())
    print(f"fuzzing: {run.cases} cases over {len(operations)} operations (seed {seed})")
    print(f"stateful steps that resumed an issued page: {run.tokens_followed}")
    print(summary)
    assert not run.failures, f"{len(run.failures)} failures:\n\n" + "\n\n".join(run.failures)
    assert not wrong, "\n".join(wrong)
    assert run.cases >= MIN_TOTAL_CASES, summary
    assert {op.label for op in operations} == set(run.statuses)
    assert run.tokens_followed > 0, "no stateful step followed a nextToken link"
    # The tokens were real: each caller's routes answered 2xx at least once.
    for label in ("GET /members/me", "GET /admin/members", "POST /members/me/withdrawal"):
        assert any(200 <= s < 300 for s in run.statuses[label]), (label, run.statuses[label])
