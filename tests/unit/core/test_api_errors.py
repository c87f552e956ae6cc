"""The contract's error body for every way a request can fail at the edge."""

import base64
import json

from partnercenter.api import PartnerCenterResolver, _parse_groups
from partnercenter.errors import IdentityMismatch
from tests.support import LambdaContext, api_event


def _resolver() -> PartnerCenterResolver:
    app = PartnerCenterResolver()

    @app.get("/privacy-policy")
    def fail() -> dict[str, str]:
        # R-SEC-3: the domain error carries a fixed sentence, never the submitted values.
        raise IdentityMismatch()

    return app


def _resolve(event: dict) -> tuple[int, dict]:
    response = _resolver().resolve(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_domain_error_becomes_contract_body_with_request_id() -> None:
    event = api_event("get-privacy-policy")
    status, body = _resolve(event)
    assert status == 422
    assert body["code"] == "IDENTITY_MISMATCH"
    assert body["requestId"] == event["requestContext"]["requestId"]
    assert "verify again" in body["message"]


def test_non_utf8_body_is_422_not_a_crash() -> None:
    event = api_event("get-privacy-policy", raw_body=base64.b64encode(b"\xff\xfe\xfa").decode())
    event["isBase64Encoded"] = True
    status, body = _resolve(event)
    assert (status, body["code"], body["fields"]) == (422, "VALIDATION_FAILED", ["body"])


def test_multipart_body_is_415_with_a_code() -> None:
    event = api_event(
        "get-privacy-policy", raw_body="--x\r\n", headers={"Content-Type": "multipart/form-data"}
    )
    status, body = _resolve(event)
    assert (status, body["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


def test_unknown_route_is_contract_404() -> None:
    event = api_event("get-privacy-policy")
    event["path"] = event["resource"] = "/nowhere"
    status, body = _resolve(event)
    assert (status, body["code"]) == (404, "NOT_FOUND")


def test_unexpected_exception_is_500_without_its_message(caplog) -> None:
    app = PartnerCenterResolver()

    @app.get("/privacy-policy")
    def crash() -> dict[str, str]:
        raise RuntimeError("01012345678 leaked")

    response = app.resolve(api_event("get-privacy-policy"), LambdaContext())
    body = json.loads(response["body"])
    assert response["statusCode"] == 500
    assert body["code"] == "INTERNAL_ERROR"
    # R-SEC-3: neither the response nor the log line repeats the exception's message.
    assert "01012345678" not in response["body"]
    assert "01012345678" not in caplog.text


def test_groups_claim_in_every_shape_api_gateway_may_pass() -> None:
    assert _parse_groups("[privacy-admin]") == ("privacy-admin",)
    assert _parse_groups('["a", "b"]') == ("a", "b")
    assert _parse_groups("a,b") == ("a", "b")
    assert _parse_groups("[a b]") == ("a", "b")
    assert _parse_groups(["x"]) == ("x",)
    assert _parse_groups(None) == ()


def test_issued_at_from_the_gateways_date_form_the_number_or_auth_time() -> None:
    from partnercenter.api import _issued_at

    assert _issued_at({"iat": "Sun Mar 28 13:40:42 UTC 2021"}) == 1616938842
    assert _issued_at({"iat": "1616938842"}) == 1616938842
    assert _issued_at({"iat": "garbage", "auth_time": "1616938800"}) == 1616938800
    assert _issued_at({}) == 0
