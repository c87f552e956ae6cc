"""Steps of a member's life over the local stack's HTTP API (and its invoke API), shared by
every end-to-end test: one implementation of each step."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import ClientError

from partnercenter.clock import iso
from tests.e2e.conftest import LocalStack
from tests.support import load_event

HTTP_TIMEOUT_SECONDS = 60
# verificationId -> the one-time verificationSecret its start returned, as the client keeps it.
SECRETS: dict[str, str] = {}


@dataclass(frozen=True)
class Person:
    """Who the simulated vendor verifies; every value is personal data (R-SEC-3)."""

    name: str
    phone: str  # digits, 01012345678
    birth_date: str  # YYYYMMDD
    ci: str  # 88 characters, like a real CI
    login_id: str
    password: str

    @property
    def phone_dashed(self) -> str:
        return f"{self.phone[:3]}-{self.phone[3:7]}-{self.phone[7:]}"


def random_phone() -> str:
    """A Korean mobile number (digits) no other test uses."""
    return f"010{secrets.randbelow(10**8):08d}"


def person(tag: str, name: str, phone: str) -> Person:
    """A distinct adult for one test: its own CI and login ID, so tests never collide."""
    unique = uuid.uuid4().hex[:10]
    ci_seed = f"{tag}-{unique}".encode().hex()
    return Person(
        name=name,
        phone=phone,
        birth_date="19880412",
        ci=(ci_seed + "Q" * 88)[:86] + "==",
        login_id=f"{tag}.{unique}"[:20],
        password=f"Pw-{unique}-x9",
    )


def raw_http(method: str, url: str, body: str | None, headers: dict[str, str]) -> tuple[int, str]:
    """One request as given; the status and the body as text."""
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, raw.decode("utf-8", errors="replace")


def http(
    method: str,
    url: str,
    body: Any = None,
    token: str | None = None,
    *,
    form: bool = False,
) -> tuple[int, Any]:
    """One request; the status and the decoded JSON body (None when empty)."""
    headers = {"Accept": "application/json"}
    text = None
    if body is not None:
        text = urlencode(body) if form else json.dumps(body)
        headers["Content-Type"] = (
            "application/x-www-form-urlencoded" if form else "application/json"
        )
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, raw = raw_http(method, url, text, headers)
    return status, json.loads(raw) if raw else None


@dataclass(frozen=True)
class Verified:
    verification_id: str
    form_fields: dict[str, str]  # what the browser posted to the vendor (sealed request)
    callback_fields: dict[str, str]  # what the vendor posted back (e.g. KMC's apiToken)


def verify(stack: LocalStack, who: Person, token: str | None = None) -> str:
    """The browser's round trip through the simulated vendor; the verified verificationId."""
    return verify_round_trip(stack, who, token).verification_id


def verify_round_trip(stack: LocalStack, who: Person, token: str | None = None) -> Verified:
    """The browser's round trip through the simulated vendor, with what crossed the wire."""
    started = start_verification(stack, token)
    callback_url, fields = at_vendor(started, who)
    status, done = deliver(callback_url, fields)
    assert (status, done["status"]) == (200, "verified"), done
    return Verified(str(started["verificationId"]), dict(started["formFields"]), fields)


def start_verification(stack: LocalStack, token: str | None = None) -> dict[str, Any]:
    """A verification started for a signup, or (with a member's token) for a profile change."""
    if token is None:
        status, started = http(
            "POST", f"{stack.api_url}/identity-verifications", {"purpose": "signup"}
        )
    else:
        status, started = http(
            "POST", f"{stack.api_url}/members/me/identity-verifications", {}, token
        )
    assert status == 201, started
    SECRETS[started["verificationId"]] = started["verificationSecret"]
    return dict(started)


def at_vendor(started: dict[str, Any], who: Person, **sim: str) -> tuple[str, dict[str, str]]:
    """The browser posts the sealed request and the simulated person to the vendor's page
    (``sim`` steers the simulator, e.g. simScenario); the callback URL and the fields the
    vendor posts back to it."""
    fields = {
        **started["formFields"],
        "simName": who.name,
        "simPhone": who.phone,
        "simBirthDate": who.birth_date,
        "simCi": who.ci,
        **sim,
    }
    status, vendor = http("POST", started["actionUrl"], fields, form=True)
    assert status == 200, vendor
    return str(vendor["callbackUrl"]), dict(vendor["fields"])


def deliver(callback_url: str, fields: dict[str, str]) -> tuple[int, Any]:
    """The vendor's return to our callback, as the browser posts it."""
    return http("POST", callback_url, fields, form=True)


def policy_version(stack: LocalStack) -> str:
    status, policy = http("GET", f"{stack.api_url}/privacy-policy")
    assert status == 200, policy
    return str(policy["version"])


def signup_body(stack: LocalStack, who: Person, verification_id: str) -> dict[str, Any]:
    """The signup form: the person, the verification and the required consent."""
    return {
        "verificationId": verification_id,
        "verificationSecret": SECRETS.get(verification_id, "never-issued"),
        "loginId": who.login_id,
        "password": who.password,
        "name": who.name,
        "phone": who.phone,
        "consents": {"required": {"policyVersion": policy_version(stack), "agreed": True}},
    }


def sign_up(stack: LocalStack, who: Person) -> str:
    """A verified signup, pending approval; the memberId."""
    status, created = http(
        "POST", f"{stack.api_url}/members", signup_body(stack, who, verify(stack, who))
    )
    assert status == 201, created
    return str(created["memberId"])


def operator_token(stack: LocalStack) -> str:
    """A fresh operator's id token: in privacy-admin, signed in with password and TOTP code."""
    username, password = f"operator-{uuid.uuid4().hex[:8]}", f"Op9!{uuid.uuid4().hex[:12]}"
    secret = stack.create_operator(username, password)
    assert secret is not None
    return stack.operator_sign_in(username, password, secret)


def approve(stack: LocalStack, operator: str, member_id: str) -> None:
    status, decided = http(
        "POST",
        f"{stack.api_url}/admin/members/{member_id}/decision",
        {"decision": "approve", "reason": "staff of a partner company"},
        operator,
    )
    assert (status, decided["status"]) == (200, "active"), decided


@dataclass(frozen=True)
class Member:
    who: Person
    member_id: str
    token: str


def active_member(stack: LocalStack, operator: str, who: Person) -> Member:
    """Verified, signed up, approved and signed in."""
    member_id = sign_up(stack, who)
    approve(stack, operator, member_id)
    return Member(who, member_id, stack.sign_in(who.login_id, who.password))


def refused_sign_in(stack: LocalStack, who: Person) -> str:
    """The error code of a sign-in that must fail (fails the test if it succeeds)."""
    try:
        stack.sign_in(who.login_id, who.password)
    except ClientError as refused:
        return str(refused.response["Error"]["Code"])
    raise AssertionError(f"{who.login_id} could sign in")


def destruction_records(
    stack: LocalStack, operator: str, since: datetime, until: datetime
) -> dict[str, Any]:
    """The operator's page (up to 100) of destruction records stamped from since to until."""
    query = urlencode({"from": iso(since), "to": iso(until), "limit": "100"})
    status, page = http("GET", f"{stack.api_url}/admin/destruction-records?{query}", token=operator)
    assert status == 200, page
    return dict(page)


def purge_at(stack: LocalStack, moment: datetime, *, dry_run: bool = False) -> dict[str, Any]:
    """The scheduled retention purge, run through the invoke API as if it were ``moment``."""
    event = load_event("retention-purge")
    event["id"] = str(uuid.uuid4())
    event["time"] = iso(moment)
    event["detail"] = {"dryRun": True} if dry_run else "{}"
    answer = stack.client("lambda").invoke(
        FunctionName="RetentionPurgeFunction", Payload=json.dumps(event).encode()
    )
    payload = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, payload
    return dict(payload)


def seeded_member(
    stack: LocalStack, login_id: str, password: str, name: str, phone: str, tag: str
) -> str:
    """An active member written straight to the stack's tables as signup shapes them, with a
    Cognito user to sign in as (no vendor round trip); returns the member id. Call it once the
    process points at the stack (the partnercenter settings read the environment)."""
    from datetime import UTC, timedelta

    from partnercenter.dal.members import ACTIVE
    from partnercenter.members.records import NewMember, new_member_writes
    from partnercenter.policy import CURRENT_VERSION

    stack.create_user(login_id, password)
    user = stack.client("cognito-idp").admin_get_user(
        UserPoolId=stack.user_pool_id, Username=login_id
    )
    member_id = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    member = NewMember(
        member_id=member_id,
        login_id=login_id,
        name=name,
        phone=phone,
        person_hash=f"{tag}-{member_id}",
        vendor="kmc",
        verified_at="2026-11-01T00:00:00Z",
        policy_version=CURRENT_VERSION,
        marketing=False,
        requested_at=datetime.now(UTC) - timedelta(days=30),
        status=ACTIVE,
    )
    new_member_writes(member).transaction().commit()
    return member_id
