"""R-SEC-3 over the whole lifecycle: no personal data in any log line, metric or trace.

One member's life on a stack of its own, success and refusal paths alike: identity
verification through the simulated vendor, refused signups (identity mismatch, malformed phone,
a second membership), the signup, the operator's approval, sign-in, the profile read and
corrected (a new phone, re-verified), consents, a privacy request, withdrawal, and the
scheduled purge years later. Everything the stack printed is then searched: the API access
log, every function's Powertools log lines and their EMF metric lines (stdout/stderr of every
worker). Traces: the local runtime sets AWS_SAM_LOCAL, so Powertools' Tracer records nothing
here; what it would record in AWS is bounded by the template (responses and errors are never
captured, events never logged), which this test asserts for every function.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from local.template import load_template
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack, running_stack
from tests.support import load_event

pytestmark = pytest.mark.e2e

NAME, PHONE, NEW_PHONE = "윤개인", "01012345678", "01087654321"
# The capture must be real: these functions log during the lifecycle (POWERTOOLS_SERVICE_NAME;
# admin and rights log only refusals), and the access log names every route used.
SERVICES = ("identity-verification", "signup", "profile", "withdrawal", "retention-purge")
ROUTES_USED = (
    "/identity-verifications",
    "/identity-verifications/{verificationId}/callback",
    "/members",
    "/admin/members/{memberId}/decision",
    "/members/me",
    "/members/me/identity-verifications",
    "/members/me/consents",
    "/members/me/privacy-requests",
    "/members/me/withdrawal",
)


@pytest.fixture(scope="module")
def pii_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("pii-stack")) as stack:
        yield stack


def _forms(value: str) -> set[str]:
    """How a value could be written: as is, JSON-escaped (\\uXXXX) and URL-encoded."""
    return {
        value,
        json.dumps(value)[1:-1],
        urllib.parse.quote(value),
        urllib.parse.quote_plus(value),
    }


def _vendor_cp_id(stack: LocalStack) -> str:
    secrets = stack.client("secretsmanager")
    for listed in secrets.list_secrets()["SecretList"]:
        text = secrets.get_secret_value(SecretId=listed["ARN"])["SecretString"]
        if text.startswith("{") and "cpId" in json.loads(text):
            return str(json.loads(text)["cpId"])
    raise AssertionError("no vendor secret in the stack")


def _sign_in_tokens(stack: LocalStack, who: lifecycle.Person) -> dict[str, str]:
    answer = stack.authenticate(who.login_id, who.password)
    return {"id token": answer["IdToken"], "access token": answer["AccessToken"]}


def _routes() -> set[tuple[str, str]]:
    return {(route.method, route.path) for route in load_template().routes}


def _later_routes(
    stack: LocalStack,
    operator: str,
    who: lifecycle.Person,
    member_id: str,
    token: str,
    secrets: dict[str, str],
) -> str:
    """Sign-out, a sanction and a notice to the member, where the template has those routes
    (they came later than the rest); the member's id token afterwards."""
    api, routes = stack.api_url, _routes()
    if ("POST", "/admin/members/{memberId}/sanctions") in routes:
        status, imposed = lifecycle.http(
            "POST",
            f"{api}/admin/members/{member_id}/sanctions",
            {"reason": "Resold tickets in bulk against the terms, article 12."},
            operator,
        )
        assert status == 201, imposed
        status, refused = lifecycle.http("GET", f"{api}/members/me", token=token)
        assert status == 403, refused
        status, lifted = lifecycle.http(
            "POST",
            f"{api}/admin/members/{member_id}/sanctions/{imposed['sanctionId']}/lift",
            token=operator,
        )
        assert status == 200, lifted
    if ("POST", "/admin/notices") in routes:
        notice = json.loads(load_event("admin-create-notice")["body"])
        notice["audience"] = {"memberIds": [member_id]}
        status, report = lifecycle.http("POST", f"{api}/admin/notices", notice, operator)
        assert status == 201, report
    if ("POST", "/members/me/sign-out") in routes:
        status, _ = lifecycle.http("POST", f"{api}/members/me/sign-out", token=token)
        assert status == 200
        assert lifecycle.http("GET", f"{api}/members/me", token=token)[0] == 401
        # Tokens issued in the second of the sign-out count as before it (iat has seconds).
        time.sleep(1.1)
        tokens = _sign_in_tokens(stack, who)
        secrets.update({f"{name} (second sign-in)": value for name, value in tokens.items()})
        token = tokens["id token"]
    return token


# R-SEC-3
def test_tracing_never_captures_responses_errors_or_events() -> None:
    for logical_id, function in load_template().functions.items():
        env = function.environment
        for variable in (
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE",
            "POWERTOOLS_TRACER_CAPTURE_ERROR",
            "POWERTOOLS_LOGGER_LOG_EVENT",
        ):
            assert env.get(variable) == "false", (logical_id, variable, env.get(variable))


# R-SEC-3
def test_no_personal_data_in_any_log_line(pii_stack: LocalStack) -> None:
    stack, api = pii_stack, pii_stack.api_url
    who = lifecycle.person("pii", NAME, PHONE)
    moved = dataclasses.replace(who, phone=NEW_PHONE)
    secrets: dict[str, str] = {
        "name": who.name,
        "phone": who.phone,
        "phone (dashed)": who.phone_dashed,
        "new phone": moved.phone,
        "new phone (dashed)": moved.phone_dashed,
        "login ID": who.login_id,
        "password": who.password,
        "birth date": who.birth_date,
        "CI": who.ci,
        "DI": hashlib.sha256(f"{_vendor_cp_id(stack)}:{who.ci}".encode()).hexdigest(),
    }

    def remember_wire(verified: lifecycle.Verified, tag: str) -> str:
        for field, value in verified.callback_fields.items():  # KMC: certNum, apiToken
            secrets[f"{tag} vendor {field}"] = value
        return verified.verification_id

    # Refusals first: their error paths log too.
    other = dataclasses.replace(who, name="윤다름")
    mismatch = remember_wire(lifecycle.verify_round_trip(stack, other), "mismatch")
    status, refused = lifecycle.http(
        "POST", f"{api}/members", lifecycle.signup_body(stack, who, mismatch)
    )
    assert (status, refused["code"]) == (422, "IDENTITY_MISMATCH"), refused
    malformed = dataclasses.replace(who, phone=who.phone_dashed)
    status, refused = lifecycle.http(
        "POST", f"{api}/members", lifecycle.signup_body(stack, malformed, str(uuid.uuid4()))
    )
    assert (status, refused["code"]) == (422, "VALIDATION_FAILED"), refused

    # The signup, its approval, and a second membership of the same person refused.
    verified = remember_wire(lifecycle.verify_round_trip(stack, who), "signup")
    status, created = lifecycle.http(
        "POST", f"{api}/members", lifecycle.signup_body(stack, who, verified)
    )
    assert status == 201, created
    again = remember_wire(lifecycle.verify_round_trip(stack, who), "again")
    status, refused = lifecycle.http(
        "POST",
        f"{api}/members",
        lifecycle.signup_body(
            stack, dataclasses.replace(who, login_id=f"{who.login_id[:15]}.two"), again
        ),
    )
    assert (status, refused["code"]) == (409, "ALREADY_MEMBER"), refused
    operator = lifecycle.operator_token(stack)
    lifecycle.approve(stack, operator, created["memberId"])

    tokens = _sign_in_tokens(stack, who)
    secrets.update(tokens)
    token = tokens["id token"]
    status, profile = lifecycle.http("GET", f"{api}/members/me", token=token)
    assert (status, profile["name"], profile["phone"]) == (200, NAME, PHONE), profile
    change = remember_wire(lifecycle.verify_round_trip(stack, moved, token), "change")
    status, profile = lifecycle.http(
        "PATCH", f"{api}/members/me", {"phone": NEW_PHONE, "verificationId": change}, token
    )
    assert (status, profile["phone"]) == (200, NEW_PHONE), profile
    status, refused = lifecycle.http("PATCH", f"{api}/members/me", {"name": "윤바꿈"}, token)
    assert status == 422, refused
    for marketing in (True, False):
        status, consents = lifecycle.http(
            "POST", f"{api}/members/me/consents", {"marketing": marketing}, token
        )
        assert status == 200, consents
    status, filed = lifecycle.http(
        "POST", f"{api}/members/me/privacy-requests", {"kind": "view"}, token
    )
    assert status == 201, filed
    token = _later_routes(stack, operator, who, created["memberId"], token, secrets)

    status, receipt = lifecycle.http("POST", f"{api}/members/me/withdrawal", {}, token)
    assert (status, receipt.get("status")) == (200, "withdrawn"), receipt
    assert lifecycle.http("GET", f"{api}/members/me", token=token)[0] == 401

    report = lifecycle.purge_at(stack, datetime.now(UTC) + timedelta(days=3 * 366))
    assert report["purged"] >= 1, report

    log = stack.log_text()
    for service in SERVICES:
        assert f'"service":"{service}"' in log.replace(" ", ""), f"no log line of {service}"
    for route in ROUTES_USED:
        assert f'"routeKey":"{route}"' in log, f"no access-log line of {route}"
    assert '"_aws"' in log.replace(" ", ""), "no EMF metric line was captured"
    leaks = [
        f"{what} ({form!r})"
        for what, value in secrets.items()
        for form in _forms(value)
        if form in log
    ]
    assert not leaks, f"personal data or secrets in the stack's logs: {leaks}"
