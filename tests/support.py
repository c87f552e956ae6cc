"""Test helpers: events from events/*.json, handlers loaded by path, a Lambda context."""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
FUNCTIONS = ROOT / "functions"

MEMBER_SUB = "5b1d6a3e-0000-4000-8000-00000000b001"

# The layer and the repository, as a fresh interpreter needs them to import the code.
CODE_PATH = os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT)])


def fresh_python(args: list[str], env: dict[str, str], timeout: int = 120) -> str:
    """Run ``python *args`` in a process of its own (a cold container, a benchmark) from the
    repository's root; it must succeed. Its standard output."""
    out = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of events/<name>.json, the same file `sam local invoke -e` takes."""
    return json.loads((EVENTS / f"{name}.json").read_text("utf-8"))


def claims_for(sub: str, *, groups: tuple[str, ...] = (), iat: int = 1795000000) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer hands them on (local/api.py renders the same):
    every value a string, dates for ``iat``/``exp``, lists as ``[a b]``."""
    issued = datetime.fromtimestamp(iat, UTC)
    claims = {
        "sub": sub,
        "token_use": "id",
        "iat": issued.strftime("%a %b %d %H:%M:%S UTC %Y"),
        "exp": (issued + timedelta(hours=1)).strftime("%a %b %d %H:%M:%S UTC %Y"),
        "auth_time": str(iat),
        "cognito:username": sub,
    }
    if groups:
        claims["cognito:groups"] = "[" + " ".join(groups) + "]"
    return claims


def api_event(
    name: str,
    *,
    body: Any = None,
    claims: dict[str, str] | None = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """events/<name>.json with the parts a test changes replaced."""
    event = copy.deepcopy(load_event(name))
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    if body is not None or raw_body is not None:
        event["body"] = raw_body if raw_body is not None else json.dumps(body)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    if path_params is not None:
        event["pathParameters"] = path_params
        path = event["resource"]
        for key, value in path_params.items():
            path = path.replace("{" + key + "}", value)
        event["path"] = path
    if query is not None:
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    for key, value in (headers or {}).items():
        event["headers"][key] = value
        event["multiValueHeaders"][key] = [value]
    return event


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:ap-northeast-2:123456789012:function:test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/test"
    log_stream_name: str = "test"
    remaining_ms: int = 15_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


_handlers: dict[str, ModuleType] = {}


def handler_module(function_dir: str) -> ModuleType:
    """functions/<dir>/app.py, imported once under a unique name (every function has app.py)."""
    if function_dir not in _handlers:
        path = FUNCTIONS / function_dir / "app.py"
        name = f"functions_{function_dir}_app"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        module.lambda_handler = _acting_as(function_dir, module.lambda_handler)
        _handlers[function_dir] = module
    return _handlers[function_dir]


def _acting_as(function_dir: str, handler: Any) -> Any:
    """The handler, its AWS calls attributed to its template function (local/iam_check.py)."""
    from local.iam_check import acting_as

    function = _template_functions()[function_dir]

    @functools.wraps(handler)
    def attributed(event: Any, context: Any) -> Any:
        if _container[0] != function:
            # Each function has its own Lambda container, so its own Parameters cache: a
            # secret another function (or the test's set-up) read is fetched again, under
            # this function's role.
            from partnercenter.dal import aws

            aws.secrets_provider.cache_clear()
            _container[0] = function
        with acting_as(function):
            return handler(event, context)

    return attributed


_container: list[str | None] = [None]  # the function whose container the process last was


@functools.cache
def _template_functions() -> dict[str, str]:
    """functions/<dir> -> the template function whose CodeUri it is."""
    from local.iam_check import function_of_code_dir
    from local.template import load_template

    return function_of_code_dir(load_template())


@dataclass
class ApiResult:
    status: int
    body: Any
    headers: dict[str, str]


def call(function_dir: str, event: dict[str, Any], context: Any = None) -> ApiResult:
    """Invoke a function's handler with an API Gateway proxy event; decode the JSON body."""
    response = handler_module(function_dir).lambda_handler(event, context or LambdaContext())
    raw = response.get("body")
    try:
        body = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        body = raw
    return ApiResult(response["statusCode"], body, response.get("headers") or {})
