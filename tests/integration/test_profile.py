"""GET/PATCH /members/me and POST /members/me/consents, usage records, and the whole lifecycle's
traces in every table."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from partnercenter.audit.access_records import Break, verify_chain
from partnercenter.audit.anchors import write_anchor
from partnercenter.clock import utc_now
from partnercenter.dal import verifications as verifications_dal
from partnercenter.dal.aws import client
from partnercenter.hashing import phone_hash
from partnercenter.policy import CURRENT_VERSION
from tests.conftest import AwsStack
from tests.integration.member_steps import (
    PASSWORD,
    Person,
    active_member,
    decide,
    profile_changed_meanwhile,
    sign_up,
    tables_text,
    verification_used_meanwhile,
    verified,
)
from tests.integration.rights_helpers import access_records_in_order
from tests.support import api_event, call, claims_for

NEW_PHONE = "01098765432"


def _get(member_id: str) -> Any:
    return call("profile", api_event("get-profile", claims=claims_for(member_id)))


def _patch(member_id: str, body: dict[str, Any]) -> Any:
    return call("profile", api_event("patch-profile", body=body, claims=claims_for(member_id)))


def _consents(member_id: str, body: dict[str, Any]) -> Any:
    return call("profile", api_event("post-consents", body=body, claims=claims_for(member_id)))


def _profile_item(stack: AwsStack, member_id: str) -> dict[str, Any]:
    return dict(
        stack.client("dynamodb").get_item(
            TableName=stack.physical_id("MembersTable"),
            Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
        )["Item"]
    )


def test_a_member_views_their_own_data(aws_stack: AwsStack) -> None:
    # R-RIGHT-1 (열람), R-SEC-2: the view is recorded.
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    result = _get(member_id)
    assert result.status == 200
    body = result.body
    assert body["memberId"] == member_id
    assert (body["loginId"], body["name"], body["phone"]) == (
        "manager.kim",
        person.name,
        person.phone,
    )
    assert body["status"] == "active"
    assert body["consents"]["required"]["policyVersion"] == CURRENT_VERSION
    assert body["consents"]["marketing"]["agreed"] is False
    assert body["verifiedAt"].endswith("Z")
    [view] = [r for r in access_records_in_order() if r["action"] == "view_profile"]
    assert (view["actor"], view["actorRole"], view["sourceIp"]) == (
        member_id,
        "member",
        "203.0.113.10",
    )


def test_no_personal_data_is_shown_when_its_access_record_cannot_be_written(
    aws_stack: AwsStack,
) -> None:
    # R-SEC-2: the record comes first; if every append loses the race for the chain's head,
    # the member gets an error and not their data.
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    table = aws_stack.physical_id("AccessRecordsTable")

    def head_always_taken(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == table:
            raise ClientError(
                {"Error": {"Code": "ConditionalCheckFailedException", "Message": "seq taken"}},
                "PutItem",
            )

    def head_always_taken_along(params: dict[str, Any], **_: Any) -> None:
        # The same race lost when the usage record rides along (one transaction).
        puts = [entry.get("Put", {}) for entry in params["TransactItems"]]
        if any(put.get("TableName") == table for put in puts):
            reasons = [
                {"Code": "ConditionalCheckFailed" if put.get("TableName") == table else "None"}
                for put in puts
            ]
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "seq taken"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )

    events = client("dynamodb").meta.events
    events.register("provide-client-params.dynamodb.PutItem", head_always_taken)
    events.register("provide-client-params.dynamodb.TransactWriteItems", head_always_taken_along)
    try:
        result = _get(member_id)
    finally:
        events.unregister("provide-client-params.dynamodb.PutItem", head_always_taken)
        events.unregister(
            "provide-client-params.dynamodb.TransactWriteItems", head_always_taken_along
        )
    assert result.status >= 500
    assert set(result.body) == {"code", "message", "requestId"}
    assert person.name not in json.dumps(result.body, ensure_ascii=False)
    assert person.phone not in json.dumps(result.body)
    # R-COL-5: the usage record that was to ride along with the access record is written alone.
    usage = aws_stack.client("dynamodb").query(
        TableName=aws_stack.physical_id("UsageRecordsTable"),
        KeyConditionExpression="memberId = :m",
        ExpressionAttributeValues={":m": {"S": member_id}},
    )["Items"]
    assert [r["route"]["S"] for r in usage] == ["GET /members/me"]


def test_every_member_request_leaves_a_usage_record_for_90_days(aws_stack: AwsStack) -> None:
    # R-COL-5, R-RET-8: time, route and source IP, expiring by TTL after 90 days.
    member_id = active_member(Person.new(), "manager.kim")
    before = int(time.time())
    assert _get(member_id).status == 200
    assert _patch(member_id, {"phone": NEW_PHONE}).status == 422  # refused, still a use
    records = aws_stack.client("dynamodb").query(
        TableName=aws_stack.physical_id("UsageRecordsTable"),
        KeyConditionExpression="memberId = :m",
        ExpressionAttributeValues={":m": {"S": member_id}},
    )["Items"]
    assert [r["route"]["S"] for r in records] == ["GET /members/me", "PATCH /members/me"]
    for record in records:
        assert record["sourceIp"]["S"] == "203.0.113.10"
        at, request_id = record["at"]["S"].split("#")
        assert at.endswith("Z")
        assert request_id
        expires = int(record["expiresAtEpoch"]["N"])
        assert before + 90 * 86400 - 5 <= expires <= int(time.time()) + 90 * 86400 + 5


def test_a_phone_change_with_a_matching_verification_is_applied(aws_stack: AwsStack) -> None:
    # R-RIGHT-1 (정정), R-IDV-3: verified again, same person, the new value.
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    changed = Person(name=person.name, phone=NEW_PHONE, ci=person.ci)
    verification_id = verified(changed, purpose="profile_change", member_id=member_id)
    result = _patch(member_id, {"phone": NEW_PHONE, "verificationId": verification_id})
    assert result.status == 200, result.body
    assert (result.body["phone"], result.body["name"]) == (NEW_PHONE, person.name)
    assert _get(member_id).body["phone"] == NEW_PHONE
    item = _profile_item(aws_stack, member_id)
    assert item["phoneHash"]["S"] == phone_hash(NEW_PHONE)
    assert item["version"]["N"] == "3"  # signup 1, approval 2, change 3
    assert verifications_dal.get(verification_id).status == "CONSUMED"  # type: ignore[union-attr]
    assert "change_profile" in [r["action"] for r in access_records_in_order()]
    # The verification served once.
    again = _patch(member_id, {"phone": NEW_PHONE, "verificationId": verification_id})
    assert (again.status, again.body["code"]) == (409, "VERIFICATION_USED")


def test_a_name_change_needs_the_verified_name(aws_stack: AwsStack) -> None:
    # R-IDV-3
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    renamed = Person(name="김개명", phone=person.phone, ci=person.ci)
    verification_id = verified(renamed, purpose="profile_change", member_id=member_id)
    wrong = _patch(member_id, {"name": "김오타", "verificationId": verification_id})
    assert (wrong.status, wrong.body["code"]) == (422, "IDENTITY_MISMATCH")
    right = _patch(member_id, {"name": "김개명", "verificationId": verification_id})
    assert right.status == 200
    assert right.body["name"] == "김개명"


def test_a_change_without_a_verification_is_refused(aws_stack: AwsStack) -> None:
    # R-RIGHT-1: a phone change is verified again (R-IDV).
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    result = _patch(member_id, {"phone": NEW_PHONE})
    assert (result.status, result.body["code"]) == (422, "VALIDATION_FAILED")
    assert result.body["fields"] == ["verificationId"]
    assert "identity-verifications" in result.body["message"]
    nothing = _patch(member_id, {"verificationId": "x"})
    assert nothing.body["fields"] == ["name", "phone"]
    assert _get(member_id).body["phone"] == person.phone


def test_a_verification_of_another_person_is_refused(aws_stack: AwsStack) -> None:
    # R-IDV-3: same person means the same CI hash.
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    impostor = Person.new(name=person.name, phone=NEW_PHONE)
    verification_id = verified(impostor, purpose="profile_change", member_id=member_id)
    result = _patch(member_id, {"phone": NEW_PHONE, "verificationId": verification_id})
    assert (result.status, result.body["code"]) == (422, "IDENTITY_MISMATCH")
    assert _get(member_id).body["phone"] == person.phone
    assert verifications_dal.get(verification_id).status == "VERIFIED"  # type: ignore[union-attr]


def test_only_the_members_own_profile_change_verification_counts(aws_stack: AwsStack) -> None:
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    changed = Person(name=person.name, phone=NEW_PHONE, ci=person.ci)
    others = verified(changed, purpose="profile_change", member_id="another-member")
    signup_kind = verified(changed)
    for verification_id in (others, signup_kind):
        result = _patch(member_id, {"phone": NEW_PHONE, "verificationId": verification_id})
        assert (result.status, result.body["code"]) == (404, "VERIFICATION_NOT_FOUND")


def test_the_login_id_and_unknown_fields_cannot_be_patched(aws_stack: AwsStack) -> None:
    # R-COL-1
    member_id = active_member(Person.new(), "manager.kim")
    result = _patch(member_id, {"loginId": "new.login", "email": "a@example.com"})
    assert result.status == 422
    assert sorted(result.body["fields"]) == ["email", "loginId"]


def test_a_concurrent_change_loses_cleanly(aws_stack: AwsStack) -> None:
    # Optimistic locking: the profile changed between read and write, so nothing is written.
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    changed = Person(name=person.name, phone=NEW_PHONE, ci=person.ci)
    verification_id = verified(changed, purpose="profile_change", member_id=member_id)
    with profile_changed_meanwhile(member_id):
        result = _patch(member_id, {"phone": NEW_PHONE, "verificationId": verification_id})
    assert (result.status, result.body["code"]) == (409, "CONFLICT")
    assert _get(member_id).body["phone"] == person.phone
    assert verifications_dal.get(verification_id).status == "VERIFIED"  # type: ignore[union-attr]


def test_marketing_is_opt_in_and_every_change_is_in_the_history(aws_stack: AwsStack) -> None:
    # R-ADV-1, R-COL-2: off by default, opted in and out explicitly, each change recorded.
    member_id = active_member(Person.new(), "manager.kim")
    opted_in = _consents(member_id, {"marketing": True})
    assert opted_in.status == 200
    assert opted_in.body["marketing"]["agreed"] is True
    assert opted_in.body["required"]["policyVersion"] == CURRENT_VERSION
    assert _get(member_id).body["consents"]["marketing"]["agreed"] is True
    assert _consents(member_id, {"marketing": False}).body["marketing"]["agreed"] is False
    history = aws_stack.client("dynamodb").query(
        TableName=aws_stack.physical_id("MembersTable"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues={":pk": {"S": f"MEMBER#{member_id}"}, ":c": {"S": "CONSENT#"}},
    )["Items"]
    # Sort keys order the history by time, to the microsecond.
    marketing = [h["agreed"]["BOOL"] for h in history if h["kind"]["S"] == "marketing"]
    assert marketing == [False, True, False]


def test_agreeing_to_the_current_policy_version(aws_stack: AwsStack) -> None:
    # R-COL-2: only the current version can be agreed to.
    member_id = active_member(Person.new(), "manager.kim")
    result = _consents(member_id, {"policyVersion": CURRENT_VERSION, "agreed": True})
    assert result.status == 200
    assert result.body["required"]["policyVersion"] == CURRENT_VERSION
    stale = _consents(member_id, {"policyVersion": "2011-01-01", "agreed": True})
    assert (stale.status, stale.body["code"]) == (400, "CONSENT_REQUIRED")
    refused = _consents(member_id, {"policyVersion": CURRENT_VERSION, "agreed": False})
    assert refused.body["code"] == "CONSENT_REQUIRED"


@pytest.mark.parametrize(
    "body",
    [{}, {"marketing": True, "agreed": True}, {"marketing": True, "advertisingSms": True}],
)
def test_a_consent_change_is_one_kind_at_a_time(aws_stack: AwsStack, body: dict[str, Any]) -> None:
    member_id = active_member(Person.new(), "manager.kim")
    result = _consents(member_id, body)
    assert (result.status, result.body["code"]) == (422, "VALIDATION_FAILED")


def test_members_the_records_no_longer_know_are_refused(aws_stack: AwsStack) -> None:
    # Withdrawn or rejected members' tokens stop working at once.
    result = _get("5b1d6a3e-0000-4000-8000-0000000000ff")
    assert (result.status, result.body["code"]) == (401, "UNAUTHORIZED")
    anonymous = api_event("get-profile")
    del anonymous["requestContext"]["authorizer"]
    assert call("profile", anonymous).status == 401


def test_the_lifecycle_leaves_no_plaintext_in_any_table(aws_stack: AwsStack) -> None:
    # R-SEC-1: names, phones and login IDs exist only as ciphertexts and keyed hashes.
    person = Person.new(name="김평문", phone="01011112222")
    member_id = active_member(person, "plain.text.id")
    changed = Person(name="김평문변경", phone="01033334444", ci=person.ci)
    verification_id = verified(changed, purpose="profile_change", member_id=member_id)
    change = {"name": changed.name, "phone": changed.phone, "verificationId": verification_id}
    assert _patch(member_id, change).status == 200
    assert _consents(member_id, {"marketing": True}).status == 200
    assert _get(member_id).status == 200
    rejected = Person.new(name="이거절", phone="01055556666")
    result = sign_up(rejected, "rejected.id", headers={"Idempotency-Key": "lifecycle-1"})
    assert decide(result.body["memberId"], "reject").status == 200

    everything = tables_text(aws_stack)
    for plaintext in (
        person.name,
        person.phone,
        changed.name,
        changed.phone,
        "plain.text.id",
        rejected.name,
        rejected.phone,
        "rejected.id",
        PASSWORD,
        person.ci,
    ):
        assert plaintext not in everything


def test_an_altered_access_record_is_detected(aws_stack: AwsStack) -> None:
    # R-SEC-2: tamper-evident - one changed record breaks the chain at that record.
    member_id = active_member(Person.new(), "manager.kim")
    for _ in range(3):
        assert _get(member_id).status == 200
    assert verify_chain().intact
    records = list(access_records_in_order())
    assert len(records) == 5  # the signup, the approval and three views
    aws_stack.client("dynamodb").update_item(
        TableName=aws_stack.physical_id("AccessRecordsTable"),
        Key={"chain": {"S": records[2]["chain"]}, "seq": {"N": str(records[2]["seq"])}},
        UpdateExpression="SET #a = :a",
        ExpressionAttributeNames={"#a": "action"},
        ExpressionAttributeValues={":a": {"S": "list_members"}},
    )
    report = verify_chain()
    assert not report.intact
    assert report.breaks == (Break(records[2]["chain"], records[2]["seq"], "altered"),)


def test_a_removed_access_record_is_detected(aws_stack: AwsStack) -> None:
    # R-SEC-2
    member_id = active_member(Person.new(), "manager.kim")
    for _ in range(3):
        assert _get(member_id).status == 200
    write_anchor(utc_now())  # the hourly anchor: the newest records are covered too
    records = list(access_records_in_order())
    aws_stack.client("dynamodb").delete_item(
        TableName=aws_stack.physical_id("AccessRecordsTable"),
        Key={"chain": {"S": records[1]["chain"]}, "seq": {"N": str(records[1]["seq"])}},
    )
    report = verify_chain()
    assert not report.intact
    assert report.breaks == (Break(records[1]["chain"], records[1]["seq"], "missing"),)


def test_a_verification_used_meanwhile_fails_the_change(aws_stack: AwsStack) -> None:
    # R-IDV-2: consumed in the same transaction as the change, so it serves one change only.
    person = Person.new()
    member_id = active_member(person, "manager.kim")
    changed = Person(name=person.name, phone=NEW_PHONE, ci=person.ci)
    verification_id = verified(changed, purpose="profile_change", member_id=member_id)
    with verification_used_meanwhile(verification_id):
        result = _patch(member_id, {"phone": NEW_PHONE, "verificationId": verification_id})
    assert (result.status, result.body["code"]) == (409, "VERIFICATION_USED")
    assert _get(member_id).body["phone"] == person.phone


def test_a_consent_change_that_lost_a_race_is_a_conflict(aws_stack: AwsStack) -> None:
    member_id = active_member(Person.new(), "manager.kim")
    with profile_changed_meanwhile(member_id):
        result = _consents(member_id, {"marketing": True})
    assert (result.status, result.body["code"]) == (409, "CONFLICT")
    assert _get(member_id).body["consents"]["marketing"]["agreed"] is False
