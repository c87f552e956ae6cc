"""Fuzzing every route of docs/openapi.json over the local stack (schemathesis, seeded).

Each operation gets positive cases (valid per the document) and negative ones (not valid), sent
with a valid id token of the caller the route is for: an operator on /admin/*, an active member
(a fresh one per operation) on /members/me*, nobody on public routes. Routes taking a member id
get extra cases aimed at a real member, and the privacy-request routes at a real request, so
that the handlers run past "no such member". Every answer must be documented (status, content
type, body schema) and none may be a 5xx. Failures are collected (not shrunk) so that one run
reports all of them.

Own stack: fuzzing publishes policy versions and files requests that other e2e tests must not
see. Generation is derandomized: the same cases every run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

POSITIVE_CASES = 30  # per operation (fewer where the schema allows fewer distinct requests)
NEGATIVE_CASES = 20
AIMED_CASES = 15  # per operation taking a memberId/requestId, aimed at a real one
MIN_TOTAL_CASES = 1000
MAX_SECONDS = 180
REQUEST_TIMEOUT_SECONDS = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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
        who = lifecycle.person("fuzz", "문퍼즈", lifecycle.random_phone())
        member = lifecycle.active_member(stack, operator, who)
    token = operator if path.startswith("/admin/") else (member.token if member else None)
    aimed: dict[str, str] = {}
    if member and "{memberId}" in path:
        aimed["memberId"] = member.member_id
    if member and "{requestId}" in path:
        status, filed = lifecycle.http(
            "POST", f"{stack.api_url}/members/me/privacy-requests", {"kind": "view"}, member.token
        )
        assert status == 201, filed
        aimed["requestId"] = str(filed["requestId"])
    return Subjects(token, aimed or None)


@dataclass
class Run:
    cases: int = 0
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("fuzz-stack")) as stack:
        yield stack


def _fuzz(
    stack: LocalStack,
    operation: Any,
    mode: GenerationMode,
    examples: int,
    token: str | None,
    run: Run,
    path_parameters: dict[str, str] | None = None,
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    label = f"{operation.label} [{mode.value}{', aimed' if path_parameters else ''}]"
    statuses = run.statuses.setdefault(operation.label, Counter())

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def send(case: Any) -> None:
        run.cases += 1
        response = case.call(
            base_url=stack.api_url, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
        )
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as failed:  # schemathesis' FailureGroup
            curl = case.as_curl_command(headers={"Authorization": "Bearer <token>"})
            run.failures.append(f"{label}: {failed}\n{curl}")

    try:
        send()
    except Unsatisfiable:
        # e.g. no invalid request exists for a route whose only input is a free string
        run.unsatisfiable.append(label)


# Issue 8: at least 1,000 generated cases over every route, no 5xx, every answer documented.
def test_every_route_answers_as_documented(fuzz_stack: LocalStack) -> None:
    started = time.monotonic()
    operator = lifecycle.operator_token(fuzz_stack)
    schema = schemathesis.openapi.from_path(Path(DEFAULT_OUTPUT))
    operations = [result.ok() for result in schema.get_all_operations()]
    run = Run()
    for operation in operations:
        subjects = _subjects(fuzz_stack, operator, operation.path)
        token = subjects.token
        _fuzz(fuzz_stack, operation, GenerationMode.POSITIVE, POSITIVE_CASES, token, run)
        if subjects.aimed:
            _fuzz(
                fuzz_stack,
                operation,
                GenerationMode.POSITIVE,
                AIMED_CASES,
                token,
                run,
                subjects.aimed,
            )
        _fuzz(fuzz_stack, operation, GenerationMode.NEGATIVE, NEGATIVE_CASES, token, run)
    elapsed = time.monotonic() - started

    summary = "\n".join(f"  {label}: {dict(c)}" for label, c in run.statuses.items())
    print(f"\nfuzzing: {run.cases} cases over {len(operations)} operations in {elapsed:.0f} s")
    print(summary)
    assert not run.failures, f"{len(run.failures)} failures:\n\n" + "\n\n".join(run.failures)
    assert run.cases >= MIN_TOTAL_CASES, summary
    assert {op.label for op in operations} == set(run.statuses)
    assert elapsed < MAX_SECONDS
    # The tokens were real: each caller's routes answered 2xx at least once.
    for label in ("GET /members/me", "GET /admin/members", "POST /members/me/withdrawal"):
        assert any(200 <= s < 300 for s in run.statuses[label]), (label, run.statuses[label])
