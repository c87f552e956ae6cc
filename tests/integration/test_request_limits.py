"""Client input over DynamoDB's limits is refused with a 4xx before it reaches DynamoDB.

On moto with DynamoDB's limits enforced (local/dynamodb_limits.py). Without the app's own
bounds, these requests would reach DynamoDB, which answers ValidationException, and the
client would get a 500. Each test sends one over-limit request and records every DynamoDB
call the request makes; the over-limit value must appear in none of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.dynamodb_limits import HASH_KEY_MAX_BYTES
from partnercenter.dal.aws import client
from partnercenter.models import PRIVACY_ADMIN_GROUP
from tests.conftest import AwsStack
from tests.support import EVENTS, MEMBER_SUB, api_event, call, claims_for, load_event

# 1,000 Hangul syllables: 3,000 UTF-8 bytes, over the 2,048-byte partition key limit.
OVERLONG_ID = "가" * 1000
ADMIN = claims_for("5b1d6a3e-0000-4000-8000-00000000a001", groups=(PRIVACY_ADMIN_GROUP,))


def _events_with_path_ids() -> list[tuple[str, str]]:
    """(event file, path parameter) for every API event of a route with a path parameter."""
    found = []
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text("utf-8"))
        for name in (event.get("pathParameters") or {}) if "httpMethod" in event else ():
            found.append((path.stem, name))
    return found


@pytest.fixture
def dynamodb_calls(aws_stack: AwsStack) -> list[str]:
    """The parameters of every DynamoDB call made in the test, as JSON text."""
    calls: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(json.dumps(params, default=str, ensure_ascii=False))

    client("dynamodb").meta.events.register("provide-client-params.dynamodb.*", record)
    return calls


def _function_dir(aws_stack: AwsStack, event: dict[str, Any]) -> str:
    model = aws_stack.provisioned.model
    for route in model.routes:
        if (route.method, route.path) == (event["httpMethod"], event["resource"]):
            return Path(model.functions[route.function].code_dir).name
    raise AssertionError(f"no route for {event['httpMethod']} {event['resource']}")


@pytest.mark.parametrize(("event_name", "parameter"), _events_with_path_ids())
def test_an_overlong_path_id_is_a_4xx_before_any_lookup(
    aws_stack: AwsStack, dynamodb_calls: list[str], event_name: str, parameter: str
) -> None:
    template = load_event(event_name)
    params = {**template["pathParameters"], parameter: OVERLONG_ID}
    admin = template["resource"].startswith("/admin/")
    event = api_event(
        event_name,
        path_params=params,
        claims=ADMIN if admin else claims_for(MEMBER_SUB),
        raw_body=template.get("body"),
    )
    assert len(OVERLONG_ID.encode()) > HASH_KEY_MAX_BYTES
    result = call(_function_dir(aws_stack, event), event)
    # Refused for the id itself: a caller refused at the door would prove nothing.
    assert 400 <= result.status < 500, result.body
    assert result.status not in {401, 403}, result.body
    assert not any(OVERLONG_ID in params for params in dynamodb_calls)


def _string_leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_leaves(item, (*path, index))
    elif isinstance(value, str):
        yield path


def _replaced(body: Any, path: tuple[Any, ...], value: str) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def _events_with_json_bodies(leaves: Any) -> list[str]:
    """API events whose JSON body has at least one of the ``leaves`` a sweep replaces."""
    names = []
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text("utf-8"))
        if "httpMethod" in event and event.get("body"):
            try:
                body = json.loads(event["body"])
            except ValueError:
                continue  # a vendor's form post: the callback reads its own wire format
            if list(leaves(body)):
                names.append(path.stem)
    return names


# Over DynamoDB's 2,048-byte key limit, and over its 400 KB item limit.
OVER_KEY = "가" * 1000
OVER_ITEM = "z" * 410_000


@pytest.mark.parametrize("event_name", _events_with_json_bodies(_string_leaves))
def test_every_string_field_over_dynamodb_limits_is_refused_before_dynamodb(
    aws_stack: AwsStack, dynamodb_calls: list[str], event_name: str
) -> None:
    template = load_event(event_name)
    body = json.loads(template["body"])
    admin = template["resource"].startswith("/admin/")
    claims = ADMIN if admin else claims_for(MEMBER_SUB)
    function_dir = _function_dir(aws_stack, template)
    for leaf in _string_leaves(body):
        for probe in (OVER_KEY, OVER_ITEM):
            dynamodb_calls.clear()
            event = api_event(
                event_name,
                body=_replaced(body, leaf, probe),
                claims=claims,
                path_params=template.get("pathParameters"),
            )
            result = call(function_dir, event)
            assert result.status < 500, (leaf, len(probe), result.body)
            if probe is OVER_ITEM:
                # Refused for this field by name (or, whole, as a body too large to read).
                # (pydantic names a union's member in the path: match on the field's own name.)
                name = [step for step in leaf if not isinstance(step, int)][-1]
                named = [f.rsplit(".", 1)[-1] for f in result.body.get("fields", [])]
                assert result.status == 413 or name in named, (leaf, result.body)
                assert 400 <= result.status < 500
                assert not any(probe in params for params in dynamodb_calls), leaf


def _list_leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _list_leaves(item, (*path, key))
    elif isinstance(value, list):
        if value:
            yield path
        for index, item in enumerate(value):
            yield from _list_leaves(item, (*path, index))


# Enough copies of one element to take any item they were stored in past 400 KB.
LIST_COPIES = 50_000


@pytest.mark.parametrize("event_name", _events_with_json_bodies(_list_leaves))
def test_every_list_field_over_dynamodb_limits_is_refused_before_dynamodb(
    aws_stack: AwsStack, dynamodb_calls: list[str], event_name: str
) -> None:
    template = load_event(event_name)
    body = json.loads(template["body"])
    claims = ADMIN if template["resource"].startswith("/admin/") else claims_for(MEMBER_SUB)
    function_dir = _function_dir(aws_stack, template)
    for leaf in _list_leaves(body):
        target = body
        for step in leaf:
            target = target[step]
        dynamodb_calls.clear()
        event = api_event(
            event_name,
            body=_replaced(body, leaf, target[:1] * LIST_COPIES),
            claims=claims,
            path_params=template.get("pathParameters"),
        )
        result = call(function_dir, event)
        assert 400 <= result.status < 500, (leaf, result.body)
        name = [step for step in leaf if not isinstance(step, int)][-1]
        named = [f.rsplit(".", 1)[-1] for f in result.body.get("fields", [])]
        assert result.status == 413 or name in named, (leaf, result.body)
        assert not [c for c in dynamodb_calls if len(c) > 400 * 1024], leaf


def test_a_hold_over_more_items_than_there_are_is_refused(
    aws_stack: AwsStack, dynamodb_calls: list[str]
) -> None:
    # Two items can be retained; a longer list only repeats them. Unbounded, a list small enough
    # to pass the body-size bound would still grow the hold item towards DynamoDB's 400 KB.
    template = load_event("admin-add-hold")
    body = {**json.loads(template["body"]), "items": ["phone", "phone", "phone"]}
    event = api_event(
        "admin-add-hold", body=body, claims=ADMIN, path_params=template["pathParameters"]
    )
    result = call("holds", event)
    assert (result.status, result.body["fields"]) == (422, ["items"])
    assert not [c for c in dynamodb_calls if len(c) > 400 * 1024]
