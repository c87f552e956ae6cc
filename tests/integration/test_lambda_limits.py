"""Lambda's 6 MB payload quotas and the function's own timeout, in the local stack's workers.

Real workers (local/lambda_runtime.py) run small handlers behind the API front and the Invoke
API, and each answer is checked against what Lambda or API Gateway answers. A request over
6 MB is refused before any function runs: 413. A response over 6 MB is a function error, so
API Gateway answers 502. A function past its Timeout is ended and answered 502. A function
still running at API Gateway's integration timeout is ended and answered 504. The error bodies
are the template's gateway responses, i.e. the contract's. No test measures time. Each timeout
is tiny, and the handler blocks until it is killed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from moto import mock_aws
from werkzeug.test import Client

from local.api import ApiFront
from local.invoke import InvokeApi
from local.lambda_runtime import (
    MAX_REQUEST_BYTES,
    MAX_RESPONSE_BYTES,
    FunctionSpec,
    LambdaRuntime,
)
from local.provision import Provisioned, provision
from local.template import load_template
from tests.conftest import REGION

HANDLERS = f"""
import json
import threading


def block(event, context):
    threading.Event().wait()  # until the worker is killed


def echo_size(event, context):
    return {{"statusCode": 200, "body": json.dumps({{"eventBytes": len(json.dumps(event))}})}}


def too_big(event, context):
    return {{"statusCode": 200, "body": "x" * {MAX_RESPONSE_BYTES}}}
"""
INVOKE_PATH = "/2015-03-31/functions/{}/invocations"


@pytest.fixture(scope="module")
def stack() -> Iterator[Provisioned]:
    with mock_aws():
        yield provision(load_template(), region=REGION)


@pytest.fixture(scope="module")
def base_spec(tmp_path_factory: pytest.TempPathFactory) -> FunctionSpec:
    code = tmp_path_factory.mktemp("limits")
    (code / "app.py").write_text(HANDLERS)
    return FunctionSpec(
        name="PolicyFunction",  # GET /privacy-policy in the template
        physical_name="partnercenter-PolicyFunction",
        arn="arn:aws:lambda:ap-northeast-2:123456789012:function:partnercenter-PolicyFunction",
        code_dir=str(code),
        layer_dirs=(),
        handler_module="app",
        handler_function="echo_size",
        timeout=1,
        memory_size=128,
        environment={"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/partnercenter-PolicyFunction"},
    )


class Stack:
    """One function behind both fronts; stopped (every worker) when the test ends."""

    def __init__(self, provisioned: Provisioned, spec: FunctionSpec, **front: Any) -> None:
        self.runtime = LambdaRuntime({spec.name: spec}, max_workers=1)
        self.api = Client(
            ApiFront(
                provisioned,
                self.runtime,
                aws_endpoint_url="http://127.0.0.1:1",  # public routes only: no token checked
                vendor_simulator=None,
                **front,
            )
        )
        self.invoke = Client(InvokeApi(self.runtime))
        self.path = INVOKE_PATH.format(spec.name)


@pytest.fixture
def make(stack: Provisioned, base_spec: FunctionSpec) -> Iterator[Any]:
    made: list[Stack] = []

    def build(name: str = "PolicyFunction", **changes: Any) -> Stack:
        front = changes.pop("front", {})
        spec = replace(base_spec, name=name, physical_name=name, arn=name, **changes)
        made.append(Stack(stack, spec, **front))
        return made[-1]

    yield build
    for built in made:
        built.runtime.shutdown()


def _contract_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == code
    assert body["requestId"] == response.headers["x-amzn-RequestId"]


def test_a_request_over_6_mb_is_refused_before_the_function_runs(make: Any) -> None:
    # The IdentityVerificationFunction serves POST /identity-verifications, a public route.
    stack = make("IdentityVerificationFunction")
    refused = stack.api.post("/identity-verifications", data=b"x" * (MAX_REQUEST_BYTES + 1))
    _contract_error(refused, 413, "REQUEST_TOO_LARGE")
    # Under 6 MB, headers and all, the same route reaches the function.
    fits = stack.api.post("/identity-verifications", data=b"x" * (MAX_REQUEST_BYTES - 8192))
    assert fits.status_code == 200
    assert fits.get_json()["eventBytes"] <= MAX_REQUEST_BYTES


def test_the_invoke_api_refuses_a_payload_over_6_mb(make: Any) -> None:
    stack = make()
    payload = json.dumps("x" * MAX_REQUEST_BYTES).encode()  # 6 MB of JSON string, quotes over
    refused = stack.invoke.post(stack.path, data=payload)
    assert refused.status_code == 413
    assert refused.headers["x-amzn-ErrorType"] == "RequestEntityTooLargeException"
    assert refused.get_json()["Message"] == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )
    at_the_limit = payload[:-3] + b'"'
    assert len(at_the_limit) == MAX_REQUEST_BYTES
    assert stack.invoke.post(stack.path, data=at_the_limit).status_code == 200


def test_a_response_over_6_mb_is_a_function_error_and_a_502(make: Any) -> None:
    stack = make(handler_function="too_big")
    invoked = stack.invoke.post(stack.path, data=b"{}")
    assert invoked.status_code == 200
    assert invoked.headers["X-Amz-Function-Error"] == "Unhandled"
    assert invoked.get_json()["errorType"] == "Function.ResponseSizeTooLarge"
    assert "(6291556 bytes)" in invoked.get_json()["errorMessage"]
    _contract_error(stack.api.get("/privacy-policy"), 502, "INTERNAL_ERROR")


def test_a_function_past_its_timeout_is_ended_and_answered_502(make: Any) -> None:
    stack = make(handler_function="block", timeout=1)
    _contract_error(stack.api.get("/privacy-policy"), 502, "INTERNAL_ERROR")
    invoked = stack.invoke.post(stack.path, data=b"{}")
    assert invoked.headers["X-Amz-Function-Error"] == "Unhandled"
    assert invoked.get_json()["errorType"] == "Sandbox.Timedout"


def test_a_function_still_running_at_the_integration_timeout_is_answered_504(make: Any) -> None:
    # The function's own timeout (30 s) is past API Gateway's integration timeout, configured
    # tiny here, as 29 s is in the template's API.
    stack = make(handler_function="block", timeout=30, front={"integration_timeout_seconds": 0.2})
    _contract_error(stack.api.get("/privacy-policy"), 504, "INTERNAL_ERROR")
