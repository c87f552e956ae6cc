"""local/api.py and local/invoke.py in process: events, responses and gateway answers.

A recording runtime stands in for the workers, so every field of the proxy event and every
conversion of the proxy result can be checked exactly.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from werkzeug.test import Client

from local.api import ApiFront, render_claims
from local.invoke import InvokeApi
from local.lambda_runtime import InvokeResult, Throttled
from local.provision import Provisioned, provision
from local.template import TemplateModel, load_template

REGION = "ap-northeast-2"
CALLBACK = "/identity-verifications/{verificationId}/callback"


class RecordingRuntime:
    """Answers every invocation with ``answer`` and keeps the events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.answer: InvokeResult | Exception = InvokeResult(
            json.dumps({"statusCode": 200, "body": "{}"}).encode(), error=False
        )

    def invoke(self, name: str, event: Any, **_: Any) -> InvokeResult:
        self.events.append((name, event))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def function_name(self, name: str) -> str | None:
        return name if name == "PolicyFunction" else None


@pytest.fixture(scope="module")
def model() -> TemplateModel:
    return load_template()


@pytest.fixture(scope="module")
def stack(model: TemplateModel) -> Iterator[Provisioned]:
    with mock_aws():
        yield provision(model, region=REGION)


@pytest.fixture
def runtime() -> RecordingRuntime:
    return RecordingRuntime()


@pytest.fixture
def client(stack: Provisioned, runtime: RecordingRuntime) -> Client:
    front = ApiFront(
        stack,
        runtime,  # type: ignore[arg-type]
        aws_endpoint_url="http://127.0.0.1:1",  # never reached: no token is verified here
        vendor_simulator=None,
        vendor_simulator_problem="simulator off in this test",
    )
    return Client(front)


def test_proxy_event_is_api_gateway_rest_v1(
    client: Client,
    runtime: RecordingRuntime,
    stack: Provisioned,
    capsys: pytest.CaptureFixture[str],
) -> None:
    response = client.post(
        "/identity-verifications/abc%20d/callback?x=1&x=2&y=3",
        data="certNum=1&tr=%2F",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "ua/1"},
    )
    assert response.status_code == 200
    ((name, event),) = runtime.events
    assert name == "IdentityVerificationFunction"
    assert event["resource"] == CALLBACK
    assert event["path"] == "/identity-verifications/abc d/callback"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"verificationId": "abc d"}
    assert event["queryStringParameters"] == {"x": "2", "y": "3"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["3"]}
    assert event["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert event["multiValueHeaders"]["User-Agent"] == ["ua/1"]
    assert event["body"] == "certNum=1&tr=%2F"
    assert event["isBase64Encoded"] is False
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["resourcePath"] == CALLBACK
    assert context["httpMethod"] == "POST"
    assert context["stage"] == "dev"
    assert context["path"] == "/dev/identity-verifications/abc d/callback"
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["apiId"] == stack.physical_id("PartnerCenterApi")
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "ua/1"
    assert "authorizer" not in context  # a public route
    access_line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert access_line == {
        "requestId": context["requestId"],
        "routeKey": CALLBACK,
        "method": "POST",
        "status": "200",
        "latencyMs": access_line["latencyMs"],
    }


def test_bodies_binary_as_base64_and_empty_as_null(
    client: Client, runtime: RecordingRuntime
) -> None:
    client.post("/identity-verifications", data=b"\xff\xfe\x00")
    client.get("/privacy-policy")
    (_, binary), (_, empty) = runtime.events
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\xfe\x00"
    assert empty["body"] is None
    assert empty["queryStringParameters"] is None
    assert empty["pathParameters"] is None


def test_proxy_result_becomes_the_http_response(client: Client, runtime: RecordingRuntime) -> None:
    runtime.answer = InvokeResult(
        json.dumps(
            {
                "statusCode": 201,
                "headers": {"X-One": "1", "Set-Cookie": "a=1"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": base64.b64encode(b"\x00binary").decode(),
                "isBase64Encoded": True,
            }
        ).encode(),
        error=False,
    )
    response = client.get("/privacy-policy")
    assert response.status_code == 201
    assert response.data == b"\x00binary"
    assert response.headers["X-One"] == "1"
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["Content-Type"] == "application/json"  # API Gateway's default


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        (InvokeResult(b'{"errorType": "ValueError"}', error=True), 502, "INTERNAL_ERROR"),
        (InvokeResult(b'{"body": "no status"}', error=False), 502, "INTERNAL_ERROR"),
        (InvokeResult(b"[1, 2]", error=False), 502, "INTERNAL_ERROR"),
        (Throttled("PolicyFunction"), 429, "TOO_MANY_REQUESTS"),
    ],
)
def test_function_failures_are_the_templates_gateway_responses(
    client: Client, runtime: RecordingRuntime, answer: Any, status: int, code: str
) -> None:
    runtime.answer = answer
    response = client.get("/privacy-policy")
    assert (response.status_code, response.json["code"]) == (status, code)
    assert response.json["requestId"] == response.headers["x-amzn-RequestId"]


def test_gateway_refusals_do_not_reach_functions(client: Client, runtime: RecordingRuntime) -> None:
    unauthorized = client.get("/admin/members")
    assert (unauthorized.status_code, unauthorized.json["code"]) == (401, "UNAUTHORIZED")
    for method, path in (("GET", "/nope"), ("PUT", "/privacy-policy"), ("HEAD", "/members/me")):
        missing = client.open(path, method=method)
        assert missing.status_code == 404
        if method != "HEAD":  # HEAD answers carry no body
            assert missing.json["code"] == "NOT_FOUND"
    simulator = client.post("/_sim/kmc/request")
    assert simulator.status_code == 503
    assert simulator.json == {"message": "simulator off in this test"}
    assert runtime.events == []


def test_claims_rendering() -> None:
    rendered = render_claims(
        {
            "sub": "s",
            "cognito:groups": ["privacy-admin", "other"],
            "email_verified": True,
            "exp": 1616938842,
            "auth_time": 1616935242,
            "address": {"locality": "Seoul"},
        }
    )
    assert rendered == {
        "sub": "s",
        "cognito:groups": "[privacy-admin other]",
        "email_verified": "true",
        "exp": "Sun Mar 28 13:40:42 UTC 2021",
        "auth_time": "1616935242",
        "address": '{"locality": "Seoul"}',
    }


@pytest.mark.parametrize(
    ("path", "headers", "status", "extra"),
    [
        ("/2015-03-31/functions/PolicyFunction/invocations", {}, 200, {}),
        (
            "/2015-03-31/functions/PolicyFunction/invocations",
            {"X-Amz-Invocation-Type": "DryRun"},
            204,
            {},
        ),
        (
            "/2015-03-31/functions/Nope/invocations",
            {},
            404,
            {"x-amzn-ErrorType": "ResourceNotFoundException"},
        ),
        (
            "/2015-03-31/functions/PolicyFunction/invocations",
            {"X-Amz-Invocation-Type": "Sometimes"},
            400,
            {"x-amzn-ErrorType": "InvalidParameterValueException"},
        ),
        ("/elsewhere", {}, 404, {"x-amzn-ErrorType": "UnknownOperationException"}),
    ],
)
def test_invoke_api_answers(
    runtime: RecordingRuntime,
    path: str,
    headers: dict[str, str],
    status: int,
    extra: dict[str, str],
) -> None:
    response = Client(InvokeApi(runtime)).post(path, data=b"{}", headers=headers)  # type: ignore[arg-type]
    assert response.status_code == status
    for name, value in extra.items():
        assert response.headers[name] == value


def test_invoke_api_marks_function_errors_and_bad_json(runtime: RecordingRuntime) -> None:
    client = Client(InvokeApi(runtime))  # type: ignore[arg-type]
    path = "/2015-03-31/functions/PolicyFunction/invocations"
    assert client.post(path, data=b"{not json").status_code == 400
    runtime.answer = InvokeResult(b'{"errorType": "ValueError"}', error=True)
    failed = client.post(path, data=b"{}")
    assert failed.status_code == 200
    assert failed.headers["X-Amz-Function-Error"] == "Unhandled"
    assert failed.json == {"errorType": "ValueError"}
