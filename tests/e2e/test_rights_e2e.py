"""Members' rights and the privacy officer's duties over the local stack (HTTP), R-RIGHT-3/4,
R-USE-2, R-NOT-1.

Two things cannot be waited for over HTTP, so they are done in process against the stack's own
AWS emulation (boto3 pointed at ``aws_url``, the functions' environment resolved from the
template): an overdue request is filed with a clock 11 days back, and the consent gate of a
material version published 30 days ahead is proven with a clock 31 days later
(``current_member(..., now=...)``, ``change_consents(..., now=...)``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from local.provision import STACK_NAME
from local.template import load_template
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

PASSWORD = "Rights-pass-2026"
MEMBER_USER = "rights.member"
NAME, PHONE = "박권리", "01055501234"


def _environment(stack: LocalStack) -> dict[str, str]:
    """The RightsFunction's environment against the running stack, resolved from the template."""
    model = load_template()
    kms = stack.client("kms")
    keys = {
        kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Description"]: k["KeyId"]
        for k in kms.list_keys()["Keys"]
    }
    env = {"AWS_ENDPOINT_URL": stack.aws_url}
    for name, value in model.functions["RightsFunction"].environment.items():
        if isinstance(value, str):
            env[name] = value
            continue
        target = value.get("Ref") if isinstance(value, dict) else None
        resource = model.resources.get(str(target))
        if resource is None:
            continue
        if resource.type == "AWS::DynamoDB::Table":
            env[name] = f"{STACK_NAME}-{target}"
        elif resource.type == "AWS::SecretsManager::Secret":
            env[name] = stack.client("secretsmanager").describe_secret(
                SecretId=f"{STACK_NAME}-{target}"
            )["ARN"]
        elif resource.type == "AWS::KMS::Key":
            env[name] = keys[resource.properties["Description"]]
        elif resource.type == "AWS::Cognito::UserPool":
            env[name] = stack.operator_pool_id if target == "OperatorPool" else stack.user_pool_id
        elif resource.type == "AWS::Cognito::UserPoolClient":
            env[name] = stack.client_id
    return env


def _reset_caches() -> None:
    from partnercenter.config import get_settings
    from partnercenter.dal import aws

    get_settings.cache_clear()
    aws.reset()


@pytest.fixture(scope="module")
def in_stack(local_stack: LocalStack) -> Iterator[None]:
    """This process's partnercenter code talks to the stack's AWS emulation."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _environment(local_stack).items():
            patch.setenv(name, value)
        _reset_caches()
        yield
    _reset_caches()


@pytest.fixture(scope="module")
def people(local_stack: LocalStack, in_stack: None) -> dict[str, str]:
    """An operator and an active member (Cognito users; the member's items as signup shapes
    them), signed in: name -> id token, plus the member's id."""
    member_id = lifecycle.seeded_member(
        local_stack, MEMBER_USER, PASSWORD, NAME, PHONE, "e2e-rights"
    )
    return {
        "operator": lifecycle.operator_token(local_stack),
        "member": local_stack.sign_in(MEMBER_USER, PASSWORD),
        "memberId": member_id,
    }


def _member_caller(member_id: str) -> Any:
    from partnercenter.models import Caller

    return Caller(member_id, (), int(datetime.now(UTC).timestamp()), "127.0.0.1")


def test_requests_due_dates_overdue_first_refusals_and_proxies(
    local_stack: LocalStack, people: dict[str, str]
) -> None:
    # R-RIGHT-3: due in 10 days; overdue first; a refusal tells the reason and how to object.
    from partnercenter.clock import parse_iso
    from partnercenter.rights.requests import PrivacyRequestFiling, file_request

    api, operator, member = local_stack.api_url, people["operator"], people["member"]
    status, filed = lifecycle.http(
        "POST", f"{api}/members/me/privacy-requests", {"kind": "correct"}, member
    )
    assert status == 201, filed
    assert parse_iso(filed["dueAt"]) - parse_iso(filed["receivedAt"]) == timedelta(days=10)
    eleven_days_ago = datetime.now(UTC) - timedelta(days=11)
    overdue = file_request(
        _member_caller(people["memberId"]), PrivacyRequestFiling(kind="delete"), eleven_days_ago
    )

    status, queue = lifecycle.http("GET", f"{api}/admin/privacy-requests", token=operator)
    assert status == 200, queue
    assert queue["items"][0]["requestId"] == overdue.request_id
    assert queue["items"][0]["overdue"] is True

    status, refused = lifecycle.http(
        "POST",
        f"{api}/admin/privacy-requests/{overdue.request_id}/answer",
        {"outcome": "refused", "reason": "A statute requires keeping the settlement records."},
        operator,
    )
    assert status == 200, refused
    answer = refused["answers"][-1]
    assert answer["reason"] == "A statute requires keeping the settlement records."
    assert "118" in answer["objectionPath"]

    # R-RIGHT-4: a proxy's request discloses nothing before the evidence is checked.
    status, proxied = lifecycle.http(
        "POST",
        f"{api}/admin/privacy-requests",
        {
            "memberId": people["memberId"],
            "kind": "view",
            "proxy": {"evidence": [{"type": "power_of_attorney", "reference": "dms:e2e/poa-1"}]},
        },
        operator,
    )
    assert status == 201, proxied
    request_url = f"{api}/admin/privacy-requests/{proxied['requestId']}"
    status, shown = lifecycle.http("GET", request_url, token=operator)
    assert status == 200
    assert shown["memberDataWithheld"] is True
    assert people["memberId"] not in json.dumps(shown)
    status, early = lifecycle.http("POST", f"{request_url}/answer", {"outcome": "done"}, operator)
    assert (status, early["code"]) == (403, "PROXY_EVIDENCE_NOT_CHECKED")
    assert NAME not in json.dumps(early)
    status, checked = lifecycle.http("POST", f"{request_url}/evidence-checked", token=operator)
    assert (status, checked["memberId"]) == (200, people["memberId"])
    status, done = lifecycle.http("POST", f"{request_url}/answer", {"outcome": "done"}, operator)
    assert (status, done["disclosure"]["name"]) == (200, NAME)


def test_provision_needs_consent_and_the_member_sees_it(
    local_stack: LocalStack, people: dict[str, str]
) -> None:
    # R-USE-2: consent basis without consent -> 4xx; with it -> recorded, visible to the member.
    api, operator, member = local_stack.api_url, people["operator"], people["member"]
    terms = {
        "recipient": "Ticket Settlement Partner",
        "purpose": "sales settlement",
        "items": ["name", "phone"],
        "retentionPeriod": "until the settlement completes",
    }
    provisions_url = f"{api}/admin/members/{people['memberId']}/provisions"
    status, refused = lifecycle.http(
        "POST", provisions_url, {**terms, "legalBasis": "consent"}, operator
    )
    assert (status, refused["code"]) == (409, "PROVISION_CONSENT_MISSING")
    status, _ = lifecycle.http(
        "POST", f"{api}/members/me/provision-consents", {**terms, "agreed": True}, member
    )
    assert status == 200
    status, recorded = lifecycle.http(
        "POST", provisions_url, {**terms, "legalBasis": "consent"}, operator
    )
    assert status == 201, recorded
    status, mine = lifecycle.http("GET", f"{api}/members/me/disclosures", token=member)
    assert status == 200
    assert [d["provisionId"] for d in mine["items"]] == [recorded["provisionId"]]


def test_policy_notice_periods_and_the_consent_gate(
    local_stack: LocalStack, people: dict[str, str]
) -> None:
    # R-NOT-1: 7 days' notice, 30 for a material change; once effective, agree before use.
    from partnercenter.dal.policy_versions import forget_published
    from partnercenter.errors import PolicyConsentRequired
    from partnercenter.members.consents import ConsentChange, change_consents
    from partnercenter.members.session import current_member
    from partnercenter.policy.versions import KOREA

    api, operator = local_stack.api_url, people["operator"]
    today = datetime.now(KOREA).date()

    def publish(version: str, days: int, material: bool) -> tuple[int, Any]:
        effective = datetime.combine(today + timedelta(days=days), time(12), tzinfo=KOREA)
        body = {
            "version": version,
            "effectiveAt": effective.isoformat(),
            "material": material,
            "summary": "Adds a settlement partner as a recipient.",
        }
        return lifecycle.http("POST", f"{api}/admin/policy-versions", body, operator)

    status, short = publish("e2e-minor", 6, False)
    assert (status, short["code"]) == (400, "NOTICE_TOO_SHORT")
    status, material_short = publish("e2e-material", 20, True)
    assert (status, material_short["code"]) == (400, "NOTICE_TOO_SHORT")
    status, published = publish("e2e-material", 30, True)
    assert (status, published["noticeDays"]) == (201, 30), published
    status, policy = lifecycle.http("GET", f"{api}/privacy-policy")
    assert status == 200
    assert "e2e-material" in [v["version"] for v in policy["upcomingVersions"]]
    # Not effective yet: the member's routes are open.
    assert lifecycle.http("GET", f"{api}/members/me/disclosures", token=people["member"])[0] == 200

    later = datetime.now(UTC) + timedelta(days=31)
    caller = _member_caller(people["memberId"])
    # This process is a container that did not publish: its list may be a minute old, which no
    # real gate notices (a version is announced days ahead); the check a month on reads anew.
    forget_published()
    with pytest.raises(PolicyConsentRequired) as refused:
        current_member(caller, now=later)
    assert refused.value.status == 403
    unconsented = current_member(caller, require_policy_consent=False, now=later)
    change_consents(
        caller, unconsented, ConsentChange(policy_version="e2e-material", agreed=True), now=later
    )
    assert current_member(caller, now=later).member_id == people["memberId"]
    assert os.environ["AWS_ENDPOINT_URL"] == local_stack.aws_url  # all of it against the stack
