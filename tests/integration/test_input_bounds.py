"""Issue 13's bad input, by hand, on moto in process: every case a 4xx with the contract's code.

Page tokens on all five paginated routes (forged, another route's, another caller's, other
filters', untyped or outside the query's key condition, garbage), the calendar edges of the
range routes, JSON nested deeper than the bound on every JSON route, a withdrawal whose body is
not an object, and media types in upper case.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.template import load_template
from partnercenter.api import MAX_BODY_BYTES, MAX_JSON_DEPTH
from partnercenter.clock import iso
from partnercenter.dal import destruction_records, members, privacy_requests, provisions
from partnercenter.dal.aws import client
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.dal.transactions import Transaction
from partnercenter.destruction import destruction_record
from partnercenter.errors import ValidationFailed
from tests.integration.member_steps import Person, pending_member, scan_all_tables
from tests.integration.member_steps import active_member as signed_up_member
from tests.integration.rights_helpers import OPERATOR, active_member
from tests.support import EVENTS, ApiResult, api_event, call, claims_for, load_event

OTHER_OPERATOR = claims_for("op-privacy-2", groups=("privacy-admin",))
FORGED = "eyJ4IjoxfQ=="  # base64 of {"x":1}: the token issue 13 reached DynamoDB with
SETTLEMENT = {
    "recipient": "Melon Ticket Settlement Co.",
    "purpose": "ticket sales settlement",
    "items": ["name", "phone"],
    "retentionPeriod": "1 year after the settlement",
    "legalBasis": "fee_settlement",
}


def _refused(result: ApiResult, status: int = 422, code: str = "VALIDATION_FAILED") -> None:
    assert (result.status, result.body["code"]) == (status, code), result.body


# ---------------------------------------------------------------------------- page tokens
@dataclass(frozen=True)
class Paged:
    """One paginated route, as one caller with one set of filters asks it."""

    name: str
    function: str
    event: str
    claims: dict[str, str]
    query: dict[str, str]
    other_caller: dict[str, str]
    other_filters: dict[str, str] | None  # the same query with another filter value

    def get(self, token: str | None = None, **changes: Any) -> ApiResult:
        query = {**self.query, "limit": "1", **({"nextToken": token} if token else {})}
        claims = changes.get("claims", self.claims)
        query.update(changes.get("query", {}))
        return call(self.function, api_event(self.event, claims=claims, query=query))

    def token(self) -> str:
        first = self.get()
        assert first.status == 200, first.body
        assert first.body["nextToken"], "the route must have a second page"
        return str(first.body["nextToken"])


def _destroyed(at: datetime) -> None:
    put = destruction_record(
        member_id=str(uuid.uuid4()),
        kind="member_profile",
        items=["name"],
        reason="withdrawal",
        run_id="run-1",
        at=at,
    )
    Transaction().add("destruction_record", put).commit()


@pytest.fixture
def paged(aws_stack: Any) -> dict[str, Paged]:
    """Two or more rows behind each of the five paginated routes."""
    owner, other = active_member(), active_member()
    for _ in range(2):
        filed = call(
            "rights", api_event("rights-file-request", body={"kind": "view"}, claims=owner.claims)
        )
        assert filed.status == 201, filed.body
        provided = call(
            "rights",
            api_event(
                "admin-record-provision",
                body=SETTLEMENT,
                claims=OPERATOR,
                path_params={"memberId": owner.member_id},
            ),
        )
        assert provided.status == 201, provided.body
    for index in range(2):
        pending_member(index)
    now = datetime.now(UTC)
    for days in (3, 2):
        _destroyed(now - timedelta(days=days))
    window = {"from": iso(now - timedelta(days=30)), "to": iso(now)}
    routes = [
        Paged("admin members", "admin", "admin-list-members", OPERATOR,
              {"status": "pending_approval"}, OTHER_OPERATOR, {"status": "active"}),
        Paged("destruction records", "admin", "admin-destruction-records", OPERATOR, window,
              OTHER_OPERATOR, {"from": iso(now - timedelta(days=31))}),
        Paged("privacy-request queue", "rights", "admin-list-privacy-requests", OPERATOR,
              {"state": "open"}, OTHER_OPERATOR, {"state": "answered"}),
        Paged("own privacy requests", "rights", "rights-list-own-requests", owner.claims, {},
              other.claims, None),
        Paged("disclosures", "rights", "rights-disclosures", owner.claims, {}, other.claims,
              None),
    ]  # fmt: skip
    return {route.name: route for route in routes}


ROUTES = [
    "admin members",
    "destruction records",
    "privacy-request queue",
    "own privacy requests",
    "disclosures",
]


@pytest.mark.parametrize("route", ROUTES)
def test_an_issued_token_resumes_its_query(paged: dict[str, Paged], route: str) -> None:
    first = paged[route].get()
    second = paged[route].get(paged[route].token())
    assert second.status == 200, second.body
    assert second.body["items"]
    assert second.body["items"] != first.body["items"]


@pytest.mark.parametrize("route", ROUTES)
def test_forged_and_garbage_tokens_are_refused(paged: dict[str, Paged], route: str) -> None:
    issued = paged[route].token()
    position, _, mac = issued.partition(".")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    for token in (FORGED, "%%%", "a.b", "x" * 2048, position, f"{position}.{flipped}", "." + mac):
        result = paged[route].get(token)
        _refused(result)
        assert result.body["fields"] == ["nextToken"]


@pytest.mark.parametrize("route", ROUTES)
def test_another_routes_token_is_refused(paged: dict[str, Paged], route: str) -> None:
    for other in ROUTES:
        if other != route:
            _refused(paged[route].get(paged[other].token()))


@pytest.mark.parametrize("route", ROUTES)
def test_another_callers_token_is_refused(paged: dict[str, Paged], route: str) -> None:
    target = paged[route]
    _refused(target.get(target.token(), claims=target.other_caller))


@pytest.mark.parametrize("route", ["admin members", "destruction records", "privacy-request queue"])
def test_a_token_for_other_filters_is_refused(paged: dict[str, Paged], route: str) -> None:
    target = paged[route]
    assert target.other_filters is not None
    _refused(target.get(target.token(), query=target.other_filters))


# Sealed with the right scope (as if the key leaked), yet not a position the query can have:
# the key condition is checked again before DynamoDB sees it.
def _members_page(key: dict[str, Any]) -> object:
    return members.query_by_status("pending_approval", 1, key)


def _queue_page(key: dict[str, Any]) -> object:
    return privacy_requests.query_by_state("open", 1, key)


def _own_requests_page(key: dict[str, Any]) -> object:
    return privacy_requests.query_by_member("m-1", 1, key)


def _provisions_page(key: dict[str, Any]) -> object:
    return provisions.query_provisions("m-1", 1, key)


def _destruction_page(key: dict[str, Any]) -> object:
    return destruction_records.query_range("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", 1, key)


S = lambda value: {"S": value}  # noqa: E731
MEMBER_KEY = {"pk": S("MEMBER#x"), "sk": S("PROFILE"), "requestedAt": S("2026")}
OUTSIDE = [
    (_members_page, {"status": "pending_approval", "pk": "x", "sk": "y", "requestedAt": "1"}),
    (_members_page, {"status": {"N": "1"}, **MEMBER_KEY}),
    (_members_page, {"status": S("active"), **MEMBER_KEY}),
    (_members_page, {"status": S("pending_approval"), "pk": S("MEMBER#x")}),
    (_queue_page, {"state": S("answered"), "requestId": S("r"), "dueAt": S("2026")}),
    (_queue_page, {"state": S("open"), "requestId": S("r"), "dueAt": S("2026"), "x": S("1")}),
    (_own_requests_page, {"memberId": S("m-2"), "requestId": S("r"), "receivedAt": S("2026")}),
    (_own_requests_page, {"memberId": S("m-1"), "requestId": S(""), "receivedAt": S("2026")}),
    (_provisions_page, {"memberId": S("m-1"), "sk": S("CONSENT#a")}),
    (_provisions_page, {"memberId": [1], "sk": S("PROVISION#a")}),
    (_destruction_page, {"x": 1}),
    (_destruction_page, {"month": "2025-12", "after": "2025-12-31T00:00:00Z#r"}),
    (_destruction_page, {"month": "2026-01", "after": "2026-02-15T00:00:00Z#r"}),
    (_destruction_page, {"month": "2026-01", "after": 7}),
]  # fmt: skip


@pytest.mark.parametrize(("page", "key"), OUTSIDE)
def test_a_start_key_outside_the_key_condition_is_refused(
    aws_stack: Any, page: Callable[[dict[str, Any]], object], key: dict[str, Any]
) -> None:
    # moto forgives such a start key; DynamoDB answers ValidationException (a 500 here).
    with counted_queries() as queries, pytest.raises(ValidationFailed) as caught:
        page(key)
    assert caught.value.fields == ["nextToken"]
    assert queries == []


def test_tokens_are_opaque_and_bound_to_the_scope(aws_stack: Any) -> None:
    scope = PageScope("GET /x", "caller-1", {"state": "open"})
    key = {"requestId": S("r-1")}
    token = encode_token(key, scope)
    assert token is not None
    assert "r-1" not in token
    assert decode_token(token, scope) == key
    assert encode_token(None, scope) is None
    assert decode_token(None, scope) is None
    for other in (
        replace(scope, route="GET /y"),
        replace(scope, caller="caller-2"),
        replace(scope, filters={"state": "answered"}),
        replace(scope, filters={}),
    ):
        with pytest.raises(ValidationFailed):
            decode_token(token, other)


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """The DynamoDB Query calls the code makes meanwhile."""
    seen: list[str] = []

    def hook(**_: Any) -> None:
        seen.append("Query")

    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb.Query", hook)
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb.Query", hook)


# ---------------------------------------------------------------------------- time ranges
RANGE_ROUTES = [("admin", "admin-destruction-records"), ("access_review", "admin-access-review")]


def _range(route: tuple[str, str], start: str, end: str) -> ApiResult:
    function, event = route
    return call(function, api_event(event, claims=OPERATOR, query={"from": start, "to": end}))


@pytest.mark.parametrize("route", RANGE_ROUTES)
@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        ("0999-12-31T00:00:00Z", "1000-01-02T00:00:00Z", ["from"]),  # a year below 1000
        ("999-12-31T00:00:00Z", "1000-01-02T00:00:00Z", ["from"]),
        ("0001-01-01T00:00:00+01:00", "0001-01-02T00:00:00Z", ["from", "to"]),
        ("2026-01-01T00:00:00Z", "10000-01-01T00:00:00Z", ["to"]),
        ("2026-02-30T00:00:00Z", "2026-03-01T00:00:00Z", ["from"]),  # no such date
        ("2026-01-01T00:00:00", "2026-01-02T00:00:00Z", ["from"]),  # no offset
        ("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", ["from", "to"]),  # reversed
        ("2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", ["from", "to"]),  # over the span
        ("2026-01-01T00:00:00Z", "2027-01-02T00:00:01Z", ["from", "to"]),  # 366 days + 1 s
    ],
)
def test_out_of_bounds_ranges_are_refused_without_a_query(
    aws_stack: Any, route: tuple[str, str], start: str, end: str, fields: list[str]
) -> None:
    with counted_queries() as queries:
        result = _range(route, start, end)
    _refused(result)
    assert result.body["fields"] == fields
    assert queries == []


@pytest.mark.parametrize("route", RANGE_ROUTES)
@pytest.mark.parametrize(
    ("start", "end"),
    [
        # Offsets at the ends of the calendar: clamped to 1000-01-01 / 9999-12-31, no overflow.
        ("1000-01-01T00:00:00+23:59", "1000-01-02T00:00:00Z"),
        ("9999-12-01T00:00:00Z", "9999-12-31T23:59:59-23:59"),
        ("9999-12-31T23:59:60-23:59", "9999-12-31T23:59:60-23:59"),  # a leap second
        ("2026-01-01t00:00:00.123456789z", "2026-12-31T23:59:59.5+09:00"),
    ],
)
def test_calendar_edges_answer(
    aws_stack: Any, route: tuple[str, str], start: str, end: str
) -> None:
    result = _range(route, start, end)
    assert result.status == 200, result.body


def test_the_longest_range_costs_one_query_per_month_it_touches(aws_stack: Any) -> None:
    # 366 days from mid-January touch 13 month partitions, and no more whatever is asked.
    with counted_queries() as queries:
        result = _range(RANGE_ROUTES[0], "2026-01-15T00:00:00Z", "2027-01-16T00:00:00Z")
    assert result.status == 200, result.body
    assert len(queries) == 13


# ---------------------------------------------------------------------------- bodies
def _json_routes() -> list[tuple[str, str]]:
    """(function directory, event name) of every route whose event carries a JSON body."""
    functions = {
        (route.path, route.method.upper()): route.function for route in load_template().routes
    }
    code_dirs = {name: fn.code_dir.name for name, fn in load_template().functions.items()}
    found = []
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text("utf-8"))
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        if headers.get("content-type") == "application/json":
            function = functions[(event["resource"], event["httpMethod"])]
            found.append((code_dirs[function], path.stem))
    return found


JSON_ROUTES = _json_routes()


def test_every_json_route_is_covered() -> None:
    assert len(JSON_ROUTES) >= 17


DEEP_BODIES = [
    "[" * 990 + "]" * 990,  # issue 13: RecursionError on every JSON route (2 KB)
    '{"a":' * 990 + "1" + "}" * 990,
    "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
    '{"a": "' + "[" * 2000 + '", "b": ' + "[" * (MAX_JSON_DEPTH + 1),
]


@pytest.mark.parametrize(("function", "event"), JSON_ROUTES)
def test_deep_json_is_refused_before_parsing(aws_stack: Any, function: str, event: str) -> None:
    for body in DEEP_BODIES:
        result = call(function, api_event(event, raw_body=body, claims=OPERATOR))
        _refused(result)
        assert result.body["fields"] == ["body"]


def test_brackets_inside_strings_do_not_count(aws_stack: Any) -> None:
    body = json.dumps({"purpose": "[" * 2000})
    result = call("identity_verification", api_event("identity-verification-start", raw_body=body))
    _refused(result)
    assert result.body["fields"] == ["purpose"]  # validated as usual, not refused as deep


@pytest.mark.parametrize(("function", "event"), JSON_ROUTES[:3])
def test_a_body_over_the_size_bound_is_413(aws_stack: Any, function: str, event: str) -> None:
    # As UTF-8, 3 bytes a character: over the bound in bytes, not in characters.
    body = json.dumps({"reason": "가" * (MAX_BODY_BYTES // 3 + 1)}, ensure_ascii=False)
    assert len(body) < MAX_BODY_BYTES < len(body.encode())
    _refused(
        call(function, api_event(event, raw_body=body, claims=OPERATOR)), 413, "PAYLOAD_TOO_LARGE"
    )


@pytest.fixture
def member(aws_stack: Any) -> tuple[str, dict[str, str]]:
    member_id = signed_up_member(Person.new(), f"wd{uuid.uuid4().hex[:10]}")
    return member_id, claims_for(member_id, iat=int(datetime.now(UTC).timestamp()))


@pytest.mark.parametrize("body", ["[null, null]", "null", "[]", "[{}]", '"{}"', "0", "true"])
def test_a_withdrawal_whose_body_is_not_an_object_changes_nothing(
    aws_stack: Any, member: tuple[str, dict[str, str]], body: str
) -> None:
    _, claims = member
    before = scan_all_tables(aws_stack)
    result = call("withdrawal", api_event("withdrawal", raw_body=body, claims=claims))
    _refused(result)
    assert result.body["fields"] == ["body"]
    assert scan_all_tables(aws_stack) == before
    # The same member can withdraw with the contract's body: the refusal was the body's.
    done = call("withdrawal", api_event("withdrawal", raw_body="{}", claims=claims))
    assert (done.status, done.body["status"]) == (200, "withdrawn")


@pytest.mark.parametrize(
    "content_type",
    ["APPLICATION/JSON", "Application/Json; charset=UTF-8", "application/json;CHARSET=utf-8"],
)
def test_media_types_match_case_insensitively(aws_stack: Any, content_type: str) -> None:
    started = call(
        "identity_verification",
        api_event(
            "identity-verification-start",
            body={"purpose": "signup"},
            headers={"Content-Type": content_type},
        ),
    )
    assert started.status == 201, started.body


def test_a_form_callback_in_upper_case_reaches_the_handler(aws_stack: Any) -> None:
    event = load_event("identity-verification-callback")
    event["headers"]["Content-Type"] = "APPLICATION/X-WWW-FORM-URLENCODED"
    event["multiValueHeaders"]["Content-Type"] = ["APPLICATION/X-WWW-FORM-URLENCODED"]
    result = call("identity_verification", event)
    _refused(result, 404, "VERIFICATION_NOT_FOUND")  # the handler ran: no such verification


def test_other_media_types_are_still_415(aws_stack: Any) -> None:
    result = call(
        "identity_verification",
        api_event(
            "identity-verification-start",
            body={"purpose": "signup"},
            headers={"Content-Type": "TEXT/PLAIN"},
        ),
    )
    _refused(result, 415, "UNSUPPORTED_MEDIA_TYPE")
