"""POST /admin/members/{memberId}/decision and the pending queue's fraud-prevention flag."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partnercenter.audit.access_records import verify_chain
from partnercenter.clock import iso
from partnercenter.dal.aws import client
from partnercenter.hashing import login_id_hash, person_hash, phone_hash, subject_pseudonym
from tests.conftest import AwsStack
from tests.integration.member_steps import (
    OPERATOR,
    Person,
    before_call,
    decide,
    scan_all_tables,
    sign_up,
    tables_text,
)
from tests.integration.rights_helpers import access_records_in_order
from tests.support import api_event, call, claims_for


def _pending(person: Person, login_id: str) -> str:
    result = sign_up(person, login_id)
    assert result.status == 201, result.body
    return str(result.body["memberId"])


def _user(stack: AwsStack, login_id: str) -> dict[str, Any]:
    pool = stack.physical_id("UserPool")
    return dict(stack.client("cognito-idp").admin_get_user(UserPoolId=pool, Username=login_id))


def _pending_list() -> list[dict[str, Any]]:
    result = call("admin", api_event("admin-list-members", claims=OPERATOR))
    assert result.status == 200
    return list(result.body["items"])


def test_approval_activates_the_member_and_enables_sign_in(aws_stack: AwsStack) -> None:
    # R-COL-4: held pending until an operator approves.
    member_id = _pending(Person.new(), "manager.kim")
    assert _user(aws_stack, "manager.kim")["Enabled"] is False
    result = decide(member_id, "approve")
    assert result.status == 200
    assert result.body == {"memberId": member_id, "status": "active"}
    assert _user(aws_stack, "manager.kim")["Enabled"] is True
    assert _pending_list() == []
    [record] = [r for r in access_records_in_order() if r["action"] == "approve_signup"]
    assert record["actorRole"] == "operator"
    assert record["subject"] == subject_pseudonym(member_id)
    # Decided once: a second decision is a conflict.
    again = decide(member_id, "reject")
    assert (again.status, again.body["code"]) == (409, "CONFLICT")


def test_rejection_destroys_the_application_now(aws_stack: AwsStack) -> None:
    # R-COL-4, R-RET-6, R-RET-7: destroyed like a withdrawal with no retention reason.
    person = Person.new()
    member_id = _pending(person, "manager.kim")
    result = decide(member_id, "reject", reason="not a partner's staff member")
    assert result.status == 200
    assert result.body == {"memberId": member_id, "status": "rejected"}

    tables = scan_all_tables(aws_stack)
    assert tables[aws_stack.physical_id("MembersTable")] == []
    assert tables[aws_stack.physical_id("DataKeysTable")] == []
    [destruction] = tables[aws_stack.physical_id("DestructionRecordsTable")]
    assert destruction["kind"]["S"] == "signup_application"
    assert destruction["reason"]["S"] == "signup rejected"
    assert sorted(v["S"] for v in destruction["items"]["L"]) == ["loginId", "name", "phone"]
    assert destruction["subject"]["S"] == subject_pseudonym(member_id)
    assert destruction["runId"]["S"].startswith("decision-")
    everything = tables_text(aws_stack)
    for trace in (
        person.name,
        person.phone,
        "manager.kim",
        login_id_hash("manager.kim"),
        person_hash(person.ci),
        "not a partner",
    ):
        assert trace not in everything
    pool = aws_stack.physical_id("UserPool")
    assert aws_stack.client("cognito-idp").list_users(UserPoolId=pool)["Users"] == []
    # The person and the login ID are free again.
    assert sign_up(person, "manager.kim").status == 201


def test_unknown_members_and_non_operators_are_refused(aws_stack: AwsStack) -> None:
    missing = decide(str(uuid.uuid4()), "approve")
    assert (missing.status, missing.body["code"]) == (404, "NOT_FOUND")
    member_id = _pending(Person.new(), "manager.kim")
    member = claims_for(member_id)
    event = api_event(
        "admin-decision",
        body={"decision": "approve"},
        claims=member,
        path_params={"memberId": member_id},
    )
    refused = call("admin", event)
    assert (refused.status, refused.body["code"]) == (403, "FORBIDDEN")
    bad = api_event(
        "admin-decision",
        body={"decision": "maybe"},
        claims=OPERATOR,
        path_params={"memberId": member_id},
    )
    assert call("admin", bad).body["fields"] == ["decision"]
    assert _user(aws_stack, "manager.kim")["Enabled"] is False


def test_approval_is_undone_when_cognito_fails(aws_stack: AwsStack) -> None:
    # A member marked active who cannot sign in would be stuck: the approval rolls back.
    member_id = _pending(Person.new(), "manager.kim")

    def refuse(**_: Any) -> None:
        raise RuntimeError("injected Cognito outage")

    events = client("cognito-idp").meta.events
    events.register("before-call.cognito-idp.AdminEnableUser", refuse)
    try:
        assert decide(member_id, "approve").status == 500
    finally:
        events.unregister("before-call.cognito-idp.AdminEnableUser", refuse)
    [item] = [i for i in _pending_list() if i["memberId"] == member_id]
    assert item["loginId"] == "manager.kim"
    assert decide(member_id, "approve").status == 200


def test_pending_list_flags_a_phone_retained_after_withdrawal(aws_stack: AwsStack) -> None:
    # R-RET-2, R-RET-5: fraud prevention only, through the phone-hash index alone.
    returning = Person.new(name="박재가입", phone="01077778888")
    long_gone = Person.new(name="오래전", phone="01055556666")
    _pending(returning, "returning.one")
    _pending(long_gone, "long.gone")
    _pending(Person.new(name="최신규", phone="01033334444"), "newcomer.one")
    now = datetime.now(UTC)
    # A settlement hold may keep a phone past the year; that is not a re-signup "within a year".
    for person, withdrawn in (
        (returning, now - timedelta(days=200)),
        (long_gone, now - timedelta(days=400)),
    ):
        aws_stack.client("dynamodb").put_item(
            TableName=aws_stack.physical_id("RetainedTable"),
            Item={
                "subject": {"S": str(uuid.uuid4())},
                "withdrawnAt": {"S": iso(withdrawn)},
                "items": {"L": [{"S": "name"}, {"S": "phone"}]},
                "phoneHash": {"S": phone_hash(person.phone)},
                "holdVersion": {"N": "1"},
            },
        )
    flags = {i["loginId"]: i["retainedPhoneWithinYear"] for i in _pending_list()}
    assert flags == {"returning.one": True, "long.gone": False, "newcomer.one": False}


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_every_decision_is_recorded_and_the_chain_verifies(
    aws_stack: AwsStack, decision: str
) -> None:
    # R-SEC-2
    member_id = _pending(Person.new(), "manager.kim")
    assert decide(member_id, decision).status == 200
    actions = [r["action"] for r in access_records_in_order()]
    assert actions == ["signup", f"{decision}_signup"]
    assert verify_chain().intact


def test_a_decision_that_lost_a_race_changes_nothing(aws_stack: AwsStack) -> None:
    # Another operator decided meanwhile: nothing is destroyed half-way, nothing approved twice.
    members = aws_stack.physical_id("MembersTable")
    rejected_id = _pending(Person.new(), "manager.kim")
    approved_id = _pending(Person.new(name="이담당", phone="01022223333"), "manager.lee")

    def approve_meanwhile(member_id: str) -> Callable[[], object]:
        return lambda: aws_stack.client("dynamodb").update_item(
            TableName=members,
            Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
            UpdateExpression="SET #s = :active",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":active": {"S": "active"}},
        )

    with before_call("dynamodb", "TransactWriteItems", approve_meanwhile(rejected_id)):
        lost = decide(rejected_id, "reject")
    assert (lost.status, lost.body["code"]) == (409, "CONFLICT")
    assert (
        aws_stack.client("dynamodb")
        .get_item(
            TableName=aws_stack.physical_id("DataKeysTable"), Key={"subject": {"S": rejected_id}}
        )
        .get("Item")
    )
    with before_call("dynamodb", "UpdateItem", approve_meanwhile(approved_id)):
        lost = decide(approved_id, "approve")
    assert (lost.status, lost.body["code"]) == (409, "CONFLICT")
