"""A verification serves only whoever started it, over the local stack's HTTP API: the signup's
one-time verificationSecret, and a member's own verification bound to that member. And what
happens to the application when it is rejected: destroyed now, unrecoverable when the last
backup copy expires, both shown to the operator."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from partnercenter.clock import parse_iso, utc_now
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack
from tests.integration.member_steps import scan_all_tables

pytestmark = pytest.mark.e2e


def _cognito_usernames(stack: LocalStack) -> set[str]:
    cognito = stack.client("cognito-idp")
    return {
        user["Username"]
        for page in cognito.get_paginator("list_users").paginate(UserPoolId=stack.user_pool_id)
        for user in page["Users"]
    }


# R-IDV-2: the verificationId travels through the vendor and the browser history; only the
# secret the start returned, which never goes to the vendor, makes it usable.
def test_signup_needs_the_verification_secret_of_its_start(local_stack: LocalStack) -> None:
    api = local_stack.api_url
    who = lifecycle.person("bind", "박지민", lifecycle.random_phone())
    started = lifecycle.start_verification(local_stack)
    secret = started["verificationSecret"]
    callback_url, vendor_fields = lifecycle.at_vendor(started, who)
    assert secret not in json.dumps([started["actionUrl"], started["formFields"]])
    assert secret not in json.dumps([callback_url, vendor_fields])
    assert lifecycle.deliver(callback_url, vendor_fields)[0] == 200
    body = lifecycle.signup_body(local_stack, who, started["verificationId"])
    users_before = _cognito_usernames(local_stack)

    missing = {k: v for k, v in body.items() if k != "verificationSecret"}
    status, answer = lifecycle.http("POST", f"{api}/members", missing)
    assert (status, answer["code"]) == (422, "VALIDATION_FAILED")
    assert "verificationSecret" in answer["fields"]

    another = lifecycle.start_verification(local_stack)
    wrong = {**body, "verificationSecret": another["verificationSecret"]}  # real, not its own
    before = scan_all_tables(local_stack)
    status, answer = lifecycle.http("POST", f"{api}/members", wrong)
    assert (status, answer["code"]) == (400, "VERIFICATION_TAMPERED")
    assert scan_all_tables(local_stack) == before
    assert _cognito_usernames(local_stack) == users_before

    status, created = lifecycle.http("POST", f"{api}/members", body)
    assert (status, created["status"]) == (201, "pending_approval"), created
    assert who.login_id in _cognito_usernames(local_stack)
    assert secret not in local_stack.log_text()  # a bearer secret: never logged (R-SEC-3)


# R-IDV-2, R-RIGHT-1: a member's own verification is bound to that member's token.
def test_a_members_verification_serves_no_other_member(local_stack: LocalStack) -> None:
    api = local_stack.api_url
    operator = lifecycle.operator_token(local_stack)
    owner = lifecycle.active_member(
        local_stack, operator, lifecycle.person("own", "최수아", lifecycle.random_phone())
    )
    other = lifecycle.active_member(
        local_stack, operator, lifecycle.person("oth", "정하늘", lifecycle.random_phone())
    )
    change = lifecycle.verify(local_stack, owner.who, owner.token)
    change_body = {"name": owner.who.name, "verificationId": change}

    status, answer = lifecycle.http("PATCH", f"{api}/members/me", change_body, other.token)
    assert (status, answer["code"]) == (404, "VERIFICATION_NOT_FOUND")
    status, profile = lifecycle.http("PATCH", f"{api}/members/me", change_body, owner.token)
    assert status == 200, profile


def _pitr_days(stack: LocalStack, name_part: str) -> int:
    dynamodb = stack.client("dynamodb")
    [table] = [t for t in dynamodb.list_tables()["TableNames"] if name_part in t]
    described = dynamodb.describe_continuous_backups(TableName=table)
    return int(
        described["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "RecoveryPeriodInDays"
        ]
    )


# R-RET-6, R-RET-7: a destruction record carries when the items were destroyed and when their
# last backup copy (the data key's, the lookup hashes') expires.
def test_a_rejection_shows_when_it_was_destroyed_and_when_it_is_unrecoverable(
    local_stack: LocalStack,
) -> None:
    operator = lifecycle.operator_token(local_stack)
    before = utc_now() - timedelta(seconds=1)
    member_id = lifecycle.sign_up(
        local_stack, lifecycle.person("rej", "한가을", lifecycle.random_phone())
    )
    status, decided = lifecycle.http(
        "POST",
        f"{local_stack.api_url}/admin/members/{member_id}/decision",
        {"decision": "reject", "reason": "not staff of a partner"},
        operator,
    )
    assert status == 200, decided
    page = lifecycle.destruction_records(local_stack, operator, before, utc_now())
    [record] = [r for r in page["items"] if r["kind"] == "signup_application"]
    window = timedelta(days=_pitr_days(local_stack, "DataKeys"))
    assert window == timedelta(days=_pitr_days(local_stack, "MembersTable"))
    assert parse_iso(record["backupsExpireAt"]) == parse_iso(record["destroyedAt"]) + window
