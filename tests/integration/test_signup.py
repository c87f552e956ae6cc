"""POST /members against moto built from the template: refusals, uniqueness, atomicity."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import SecretStr

from partnercenter.audit import access_records as access_chain
from partnercenter.audit.access_records import verify_chain
from partnercenter.clock import iso_micro, utc_now
from partnercenter.config import get_settings
from partnercenter.dal import access_records, cognito, intents, transactions
from partnercenter.dal import members as members_dal
from partnercenter.dal import verifications as verifications_dal
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item
from partnercenter.errors import Conflict, LoginIdTaken, ValidationFailed
from partnercenter.hashing import login_id_hash, person_hash, phone_hash, subject_pseudonym
from partnercenter.members import signup as signup_logic
from partnercenter.members.signup import SignupRequest, sign_up
from partnercenter.models import Caller
from partnercenter.policy import CURRENT_VERSION, REQUIRED_ITEMS
from partnercenter.policy.versions import PolicyVersionRequest, publish_version
from tests.conftest import AwsStack
from tests.integration.member_steps import (
    PASSWORD,
    Person,
    before_call,
    scan_all_tables,
    signup_body,
    use_verification_elsewhere,
    verification_used_meanwhile,
    verified,
)
from tests.integration.rights_helpers import next_record_of_another_writer
from tests.support import LambdaContext, api_event, call


def _post(body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return call("signup", api_event("signup", body=body, headers=headers))


def _cognito_users(stack: AwsStack) -> list[dict[str, Any]]:
    pool = stack.physical_id("UserPool")
    return list(stack.client("cognito-idp").list_users(UserPoolId=pool)["Users"])


def _members_items(stack: AwsStack) -> list[dict[str, Any]]:
    return scan_all_tables(stack)[stack.physical_id("MembersTable")]


def test_signup_stores_a_pending_member_with_its_consent_record(aws_stack: AwsStack) -> None:
    # R-COL-2, R-COL-4, R-ADV-1: pending, consent record complete, marketing off by default.
    person = Person.new()
    verification_id = verified(person)
    body = signup_body(person, verification_id, "manager.kim")
    del body["consents"]["marketing"]
    result = _post(body)
    assert result.status == 201, result.body
    assert result.body == {"memberId": result.body["memberId"], "status": "pending_approval"}
    member_id = result.body["memberId"]

    items = {item["sk"]["S"]: item for item in _members_items(aws_stack)}
    profile = items["PROFILE"]
    assert profile["status"]["S"] == "pending_approval"
    assert profile["personHash"]["S"] == person_hash(person.ci)
    assert profile["phoneHash"]["S"] == phone_hash(person.phone)
    assert profile["consents"]["M"]["marketing"]["M"]["agreed"]["BOOL"] is False
    required = next(item for sk, item in items.items() if sk.endswith("#required"))
    assert required["policyVersion"]["S"] == CURRENT_VERSION
    assert [v["S"] for v in required["items"]["L"]] == list(REQUIRED_ITEMS)
    assert required["purposes"]["L"]
    assert required["channel"]["S"] == "web"
    assert required["at"]["S"].endswith("Z")
    assert items[f"{'GUARD'}"]["memberId"]["S"] == member_id  # guards share sk GUARD
    # The verification is used up and no longer holds the identity (R-IDV-4).
    record = aws_stack.client("dynamodb").get_item(
        TableName=aws_stack.physical_id("VerificationsTable"),
        Key={"verificationId": {"S": verification_id}},
    )["Item"]
    assert record["status"]["S"] == "CONSUMED"
    assert "identityEnc" not in record
    # The Cognito account exists, disabled, and its sub is the memberId.
    [user] = _cognito_users(aws_stack)
    assert user["Enabled"] is False
    assert {a["Name"]: a["Value"] for a in user["Attributes"]}["sub"] == member_id


@pytest.mark.parametrize(
    "extra",
    [{"residentNumber": "900101-1234567"}, {"birthDate": "19900101", "religion": "none"}],
)
def test_unknown_fields_are_refused_by_name(aws_stack: AwsStack, extra: dict[str, str]) -> None:
    # R-COL-1: exactly the three items; anything else is refused, naming the field, not its value.
    person = Person.new()
    result = _post({**signup_body(person, verified(person), "manager.kim"), **extra})
    assert result.status == 422
    assert result.body["code"] == "VALIDATION_FAILED"
    assert set(extra) <= set(result.body["fields"])
    assert not any(value in json.dumps(result.body) for value in extra.values())
    assert _members_items(aws_stack) == []


def test_unknown_consent_fields_are_refused_too(aws_stack: AwsStack) -> None:
    # R-COL-1
    person = Person.new()
    body = signup_body(person, verified(person), "manager.kim")
    body["consents"]["thirdParty"] = True
    result = _post(body)
    assert result.status == 422
    assert result.body["fields"] == ["consents.thirdParty"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("loginId", "xy"),
        ("loginId", "Manager.Kim"),
        ("phone", "0212345678"),
        ("phone", "010-1234-5678"),
        ("password", "short1"),
        ("password", "no-digits-here"),
        ("password", "1234567890"),
        ("name", ""),
    ],
)
def test_malformed_fields_are_named_without_their_values(
    aws_stack: AwsStack, field: str, value: str
) -> None:
    person = Person.new()
    result = _post(signup_body(person, verified(person), "manager.kim", **{field: value}))
    assert result.status == 422
    assert result.body["fields"] == [field]
    assert not value or value not in json.dumps(result.body)


@pytest.mark.parametrize(
    "consents",
    [
        None,
        {"marketing": True},
        {"required": {"policyVersion": CURRENT_VERSION, "agreed": False}},
        {"required": {"policyVersion": "2011-01-01", "agreed": True}},
    ],
    ids=["no-consents", "no-required", "not-agreed", "stale-version"],
)
def test_signup_without_current_required_consent_is_refused(
    aws_stack: AwsStack, consents: dict[str, Any] | None
) -> None:
    # R-COL-2: refused with an error that says so and why; nothing stored, verification kept.
    person = Person.new()
    verification_id = verified(person)
    body = signup_body(person, verification_id, "manager.kim")
    if consents is None:
        del body["consents"]
    else:
        body["consents"] = consents
    result = _post(body)
    assert result.status == 400
    assert result.body["code"] == "CONSENT_REQUIRED"
    assert "policy" in result.body["message"]
    assert _members_items(aws_stack) == []
    assert _cognito_users(aws_stack) == []
    assert verifications_dal.get(verification_id).status == "VERIFIED"  # type: ignore[union-attr]


def test_consent_must_name_the_version_in_effect_once_a_new_one_is(aws_stack: AwsStack) -> None:
    # R-COL-2, R-NOT-1: a version published with due notice and now in effect is the current one.
    now = utc_now()
    publish_version(
        Caller(member_id="op-1", groups=("privacy-admin",), issued_at=0, source_ip=""),
        PolicyVersionRequest(
            version="2026-11-01",
            effective_at=now - timedelta(days=1),
            material=False,
            summary="Processors list updated.",
        ),
        now - timedelta(days=10),
    )
    person = Person.new()
    verification_id = verified(person)
    stale = _post(signup_body(person, verification_id, "manager.kim"))
    assert (stale.status, stale.body["code"]) == (400, "CONSENT_REQUIRED")
    body = signup_body(person, verification_id, "manager.kim")
    body["consents"]["required"]["policyVersion"] = "2026-11-01"
    assert _post(body).status == 201
    profile = next(i for i in _members_items(aws_stack) if i["sk"]["S"] == "PROFILE")
    required = profile["consents"]["M"]["required"]["M"]
    assert required["policyVersion"]["S"] == "2026-11-01"


def test_under_14_is_refused_and_nothing_about_the_applicant_is_kept(
    aws_stack: AwsStack,
) -> None:
    # R-COL-3: the verified birth date decides; a refusal stores nothing about the applicant.
    person = Person.new(name="어린이", phone="01055556666")
    verification_id = verified(person, under14=True)
    result = _post(signup_body(person, verification_id, "kid.applicant"))
    assert result.status == 403
    assert result.body["code"] == "UNDER_14"

    traces = {
        person.name,
        person.phone,
        "kid.applicant",
        person_hash(person.ci),
        phone_hash(person.phone),
        login_id_hash("kid.applicant"),
        verification_id,
    }
    for table, items in scan_all_tables(aws_stack).items():
        text = json.dumps(items, ensure_ascii=False, default=repr)
        assert not [t for t in traces if t in text], table
    assert _cognito_users(aws_stack) == []


@pytest.mark.parametrize(
    "changes",
    [{"name": "김다른"}, {"phone": "01099998888"}],
    ids=["name", "phone"],
)
def test_values_that_differ_from_the_verified_identity_are_refused(
    aws_stack: AwsStack, changes: dict[str, str]
) -> None:
    # R-IDV-3
    person = Person.new()
    verification_id = verified(person)
    result = _post(signup_body(person, verification_id, "manager.kim", **changes))
    assert result.status == 422
    assert result.body["code"] == "IDENTITY_MISMATCH"
    assert _members_items(aws_stack) == []
    assert _cognito_users(aws_stack) == []
    assert verifications_dal.get(verification_id).status == "VERIFIED"  # type: ignore[union-attr]


def test_a_login_id_in_use_is_refused(aws_stack: AwsStack) -> None:
    first = Person.new()
    assert _post(signup_body(first, verified(first), "manager.kim")).status == 201
    second = Person.new(name="이담당", phone="01022223333")
    verification_id = verified(second)
    result = _post(signup_body(second, verification_id, "manager.kim"))
    assert result.status == 409
    assert result.body["code"] == "LOGIN_ID_TAKEN"
    assert len(_cognito_users(aws_stack)) == 1
    assert verifications_dal.get(verification_id).status == "VERIFIED"  # type: ignore[union-attr]


def test_the_same_person_cannot_join_twice_and_the_second_account_is_removed(
    aws_stack: AwsStack,
) -> None:
    # One membership per person (CI hash); the refused attempt leaves no Cognito account.
    person = Person.new()
    first = _post(signup_body(person, verified(person), "manager.kim"))
    assert first.status == 201
    result = _post(signup_body(person, verified(person), "manager.kim2"))
    assert result.status == 409
    assert result.body["code"] == "ALREADY_MEMBER"
    [user] = _cognito_users(aws_stack)
    assert user["Username"] == "manager.kim"
    profiles = [i for i in _members_items(aws_stack) if i["sk"]["S"] == "PROFILE"]
    assert len(profiles) == 1


def test_a_verification_serves_one_signup_only(aws_stack: AwsStack) -> None:
    # R-IDV-2: a second presentation is refused and changes nothing.
    person = Person.new()
    verification_id = verified(person)
    assert _post(signup_body(person, verification_id, "manager.kim")).status == 201
    again = _post(signup_body(person, verification_id, "manager.park"))
    assert again.status == 409
    assert again.body["code"] == "VERIFICATION_USED"
    assert len(_cognito_users(aws_stack)) == 1


def test_a_verification_serves_only_the_client_that_started_it(aws_stack: AwsStack) -> None:
    # R-IDV-2: the verificationId alone (seen by the vendor and the browser history) is not
    # enough; without the start's verificationSecret nothing changes and the holder still can.
    person = Person.new()
    verification_id = verified(person)
    body = signup_body(person, verification_id, "manager.kim")
    before = scan_all_tables(aws_stack)

    missing = _post({k: v for k, v in body.items() if k != "verificationSecret"})
    assert (missing.status, missing.body["code"]) == (422, "VALIDATION_FAILED")
    assert "verificationSecret" in missing.body["fields"]
    wrong = _post({**body, "verificationSecret": body["verificationSecret"][:-1] + "x"})
    assert (wrong.status, wrong.body["code"]) == (400, "VERIFICATION_TAMPERED")
    assert body["verificationSecret"] not in json.dumps(wrong.body)
    assert scan_all_tables(aws_stack) == before
    assert _cognito_users(aws_stack) == []

    assert _post(body).status == 201


def test_the_secret_is_checked_before_anything_about_the_verification_is_told(
    aws_stack: AwsStack,
) -> None:
    # R-IDV-2, R-COL-3: a stranger learns neither "used" nor "under 14", and cannot make the
    # child's verification be destroyed.
    person = Person.new()
    used = verified(person)
    assert _post(signup_body(person, used, "manager.kim")).status == 201
    child = verified(Person.new(), under14=True)
    for verification_id in (used, child):
        stranger = _post(
            signup_body(person, verification_id, "manager.lee", verificationSecret="guess")
        )
        assert stranger.body["code"] == "VERIFICATION_TAMPERED"
    assert verifications_dal.get(child) is not None


def test_an_old_or_unknown_verification_is_refused(aws_stack: AwsStack) -> None:
    # R-IDV-2
    person = Person.new()
    old = verified(person, age=timedelta(minutes=31))
    assert _post(signup_body(person, old, "manager.kim")).body["code"] == "VERIFICATION_EXPIRED"
    unknown = _post(signup_body(person, str(uuid.uuid4()), "manager.kim"))
    assert (unknown.status, unknown.body["code"]) == (404, "VERIFICATION_NOT_FOUND")
    profile_change = verified(person, purpose="profile_change", member_id="someone")
    wrong_purpose = _post(signup_body(person, profile_change, "manager.kim"))
    assert wrong_purpose.body["code"] == "VERIFICATION_NOT_FOUND"
    assert _cognito_users(aws_stack) == []


def test_twenty_parallel_signups_with_one_login_id_make_exactly_one_member(
    aws_stack: AwsStack,
) -> None:
    # Uniqueness under concurrency: conditional writes, never read-then-write.
    people = [Person.new(name=f"담당{i}", phone=f"0101000{i:04d}") for i in range(20)]
    requests = [
        SignupRequest.model_validate(signup_body(p, verified(p), "shared.login")) for p in people
    ]
    start = threading.Barrier(len(requests))

    def attempt(request: SignupRequest) -> str:
        start.wait(timeout=30)
        try:
            return sign_up(request, None).member_id
        except LoginIdTaken:
            return "LOGIN_ID_TAKEN"

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        outcomes = list(pool.map(attempt, requests, timeout=120))
    winners = [o for o in outcomes if o != "LOGIN_ID_TAKEN"]
    assert len(winners) == 1, outcomes
    profiles = [i for i in _members_items(aws_stack) if i["sk"]["S"] == "PROFILE"]
    assert [p["memberId"]["S"] for p in profiles] == winners
    [user] = _cognito_users(aws_stack)
    assert {a["Name"]: a["Value"] for a in user["Attributes"]}["sub"] == winners[0]


def test_a_cognito_failure_leaves_nothing_behind(aws_stack: AwsStack) -> None:
    # Atomicity: if Cognito fails, nothing is written and the verification can be used again.
    person = Person.new()
    verification_id = verified(person)
    body = signup_body(person, verification_id, "manager.kim")

    def refuse(**_: Any) -> None:
        raise RuntimeError("injected Cognito outage")

    events = client("cognito-idp").meta.events
    events.register("before-call.cognito-idp.AdminSetUserPassword", refuse)
    try:
        result = _post(body)
    finally:
        events.unregister("before-call.cognito-idp.AdminSetUserPassword", refuse)
    assert result.status == 500
    assert result.body["code"] == "INTERNAL_ERROR"
    assert _cognito_users(aws_stack) == []
    tables = scan_all_tables(aws_stack)
    for table in ("MembersTable", "DataKeysTable", "IdempotencyTable"):
        assert tables[aws_stack.physical_id(table)] == [], table
    assert verifications_dal.get(verification_id).status == "VERIFIED"  # type: ignore[union-attr]
    assert _post(body).status == 201  # the same request works once Cognito is back


def test_a_failed_transaction_removes_the_account_it_created(aws_stack: AwsStack) -> None:
    # Compensation: an error after the account exists deletes the account again.
    person = Person.new()
    body = signup_body(person, verified(person), "manager.kim")

    def refuse(**_: Any) -> None:
        raise RuntimeError("injected DynamoDB outage")

    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb.TransactWriteItems", refuse)
    try:
        result = _post(body)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", refuse)
    assert result.status == 500
    assert _cognito_users(aws_stack) == []
    assert _members_items(aws_stack) == []


def test_a_login_id_claimed_by_a_signup_in_flight_is_taken_until_its_window_passes(
    aws_stack: AwsStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a signup leaves when it dies between its account and its transaction: the claim on
    # the login ID (the intent) and a disabled account no member owns.
    login_hash = login_id_hash("manager.kim")
    assert intents.claim_login_id(
        login_hash,
        intents.seal_login_id(login_hash, "manager.kim"),
        iso_micro(utc_now()) + "#dead",
        None,
        iso_micro(utc_now() - intents.IN_FLIGHT_WINDOW),
    )
    orphan = cognito.create_disabled_user("manager.kim", PASSWORD)
    person = Person.new()
    body = signup_body(person, verified(person), "manager.kim")
    # Young: it may belong to a signup still in flight, so the login ID counts as taken.
    assert _post(body).body["code"] == "LOGIN_ID_TAKEN"
    assert cognito.sub_of("manager.kim") == orphan

    later = signup_logic.utc_now() + signup_logic.IN_FLIGHT_WINDOW + timedelta(seconds=5)
    monkeypatch.setattr(signup_logic, "utc_now", lambda: later)
    result = _post(body)
    assert result.status == 201, result.body
    [user] = _cognito_users(aws_stack)
    assert {a["Name"]: a["Value"] for a in user["Attributes"]}["sub"] == result.body["memberId"]
    guard = aws_stack.client("dynamodb").get_item(
        TableName=aws_stack.physical_id("MembersTable"),
        Key=members_dal.login_id_guard_key(login_hash),
    )["Item"]
    assert guard["memberId"]["S"] == result.body["memberId"]
    assert "intentSince" not in guard
    assert "loginIdEnc" not in guard


def test_an_account_no_claim_or_member_holds_is_replaced_at_once(aws_stack: AwsStack) -> None:
    # No claim and no guard: no signup is in flight and no member owns the login ID, so the
    # account (an ended membership's not deleted yet) goes.
    aws_stack.client("cognito-idp").admin_create_user(
        UserPoolId=aws_stack.physical_id("UserPool"),
        Username="manager.kim",
        MessageAction="SUPPRESS",
    )
    person = Person.new()
    result = _post(signup_body(person, verified(person), "manager.kim"))
    assert result.status == 201, result.body
    assert cognito.sub_of("manager.kim") == result.body["memberId"]


def test_a_retry_with_the_same_idempotency_key_returns_the_first_result(
    aws_stack: AwsStack,
) -> None:
    person = Person.new()
    body = signup_body(person, verified(person), "manager.kim")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = _post(body, key)
    retry = _post(body, key)
    assert first.status == retry.status == 201
    assert retry.body == first.body
    assert len(_cognito_users(aws_stack)) == 1
    # Another body under the same key is refused, not answered with the first result.
    other = _post({**body, "loginId": "manager.lee"}, key)
    assert other.status == 422
    assert other.body["fields"] == ["Idempotency-Key"]
    # The idempotency store holds hashes and the result only (R-SEC-1).
    stored = json.dumps(scan_all_tables(aws_stack)[aws_stack.physical_id("IdempotencyTable")])
    assert stored != "[]"
    assert "COMPLETED" in stored
    for secret in (PASSWORD, person.name, person.phone, "manager.kim", key["Idempotency-Key"]):
        assert secret not in stored


def test_a_refused_request_can_be_retried_under_its_key(aws_stack: AwsStack) -> None:
    # Errors are not remembered: the fixed request goes through under the same key.
    person = Person.new()
    verification_id = verified(person)
    key = {"Idempotency-Key": "retry-after-fix-1"}
    wrong = signup_body(person, verification_id, "manager.kim", name="김다른")
    refused = _post(wrong, key)
    assert (refused.status, refused.body["code"]) == (422, "IDENTITY_MISMATCH")
    assert _post(signup_body(person, verification_id, "manager.kim"), key).status == 201


def test_a_committed_signup_answers_201_even_if_its_idempotency_record_is_not_saved(
    aws_stack: AwsStack,
) -> None:
    # Nothing after the commit turns it into an error; the retry finds the receipt.
    person = Person.new()
    body = signup_body(person, verified(person), "manager.kim")
    key = {"Idempotency-Key": str(uuid.uuid4())}

    def idempotency_store_down() -> None:
        raise RuntimeError("injected idempotency store outage")

    # Powertools marks the record COMPLETED with UpdateItem, after the signup's transaction.
    with before_call("dynamodb", "UpdateItem", idempotency_store_down):
        first = _post(body, key)
    assert first.status == 201, first.body
    assert _cognito_users(aws_stack)[0]["Enabled"] is False
    # The record is still IN_PROGRESS; once it expires (the invocation's timeout), the retry
    # runs again and answers from the receipt on the member's login-ID guard.
    idempotency = aws_stack.physical_id("IdempotencyTable")
    dynamodb = aws_stack.client("dynamodb")
    for item in dynamodb.scan(TableName=idempotency)["Items"]:
        dynamodb.delete_item(TableName=idempotency, Key={"id": item["id"]})
    retry = _post(body, key)
    assert (retry.status, retry.body) == (201, first.body)
    assert len(_cognito_users(aws_stack)) == 1
    # Another key for the same body is a new request: the verification is used up.
    assert _post(body, {"Idempotency-Key": str(uuid.uuid4())}).body["code"] == "VERIFICATION_USED"


def _access_records(stack: AwsStack) -> list[dict[str, Any]]:
    return [
        from_item(item) for item in scan_all_tables(stack)[stack.physical_id("AccessRecordsTable")]
    ]


def _rival_takes_the_seq(params: dict[str, Any], **_: Any) -> str:
    """Another writer wins the race: it appends to the chain of the transaction's access record
    first, at the very seq that record names, so the record's own condition fails. Returns the
    chain."""
    table = get_settings().access_records_table
    [put] = [
        entry["Put"]
        for entry in params["TransactItems"]
        if entry.get("Put", {}).get("TableName") == table
    ]
    chain = put["Item"]["chain"]["S"]
    head = access_records.latest(chain)
    assert int(put["Item"]["seq"]["N"]) == (head.seq + 1 if head else 1)
    signed = next_record_of_another_writer(chain)
    client("dynamodb").put_item(**access_records.put_entry(signed).item["Put"])
    return chain


def test_the_signup_access_record_is_committed_with_the_signup_and_only_with_it(
    aws_stack: AwsStack,
) -> None:
    # R-SEC-2: the applicant's data entering the system is recorded in the signup's own
    # transaction: one record, on an intact chain, if and only if the signup committed.
    person = Person.new()
    verification_id = verified(person)
    with verification_used_meanwhile(verification_id):
        refused = _post(signup_body(person, verification_id, "manager.kim"))
    assert refused.body["code"] == "VERIFICATION_USED"
    assert _access_records(aws_stack) == []

    result = _post(signup_body(person, verified(person), "manager.kim"))
    assert result.status == 201, result.body
    member_id = result.body["memberId"]
    [record] = _access_records(aws_stack)
    assert (record["action"], record["actor"], record["actorRole"]) == (
        "signup",
        member_id,
        "member",
    )
    assert record["subject"] == subject_pseudonym(member_id)
    assert verify_chain().intact


def _signup_losing_the_first_race(login_id: str) -> tuple[Any, list[str]]:
    """Sign a new person up while another writer takes the access record's seq at the first
    commit; returns the answer and the chain of each commit's lost race (one)."""
    events = client("dynamodb").meta.events
    person = Person.new()
    commits: list[str] = []
    lost: list[str] = []

    def once(params: dict[str, Any], **kwargs: Any) -> None:
        commits.append("TransactWriteItems")
        if len(commits) == 1:
            lost.append(_rival_takes_the_seq(params, **kwargs))

    events.register("before-parameter-build.dynamodb.TransactWriteItems", once)
    try:
        result = _post(signup_body(person, verified(person), login_id))
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", once)
    assert len(commits) == 2  # one lost race, one commit: no more
    return result, lost


def _signup_record(stack: AwsStack, member_id: str) -> dict[str, Any]:
    [record] = [
        r
        for r in _access_records(stack)
        if r["action"] == "signup" and r["subject"] == subject_pseudonym(member_id)
    ]
    return record


def test_an_access_record_that_lost_its_race_is_committed_again_on_another_chain(
    aws_stack: AwsStack,
) -> None:
    # R-SEC-2: another writer took the record's seq at the commit; the whole transaction was
    # cancelled by that record's condition alone, so it commits again, on another chain, with
    # the signup's writes unchanged.
    assert access_records.last_written() is None  # a fresh container: no chain of its own yet
    result, [lost_on] = _signup_losing_the_first_race("manager.kim")
    assert result.status == 201, result.body
    record = _signup_record(aws_stack, result.body["memberId"])
    assert record["chain"] != lost_on
    assert sorted(r["action"] for r in _access_records(aws_stack)) == ["signup", "view_member"]
    guard = members_dal.login_id_guard(login_id_hash("manager.kim"))  # the signup's writes too
    assert guard is not None
    assert guard.member_id == result.body["memberId"]
    assert verify_chain().intact


def test_a_warm_signup_that_lost_its_race_commits_after_the_rival_on_its_chain(
    aws_stack: AwsStack,
) -> None:
    # R-SEC-2: a warm container appends after the record it last wrote without reading the
    # head; when a rival took that seq it reads the head and commits right after the rival.
    person = Person.new()
    first = _post(signup_body(person, verified(person), "manager.kim"))
    assert first.status == 201, first.body
    mine = _signup_record(aws_stack, first.body["memberId"])
    second, [lost_on] = _signup_losing_the_first_race("manager.lee")
    assert second.status == 201, second.body
    assert lost_on == mine["chain"]
    record = _signup_record(aws_stack, second.body["memberId"])
    assert (record["chain"], record["seq"]) == (mine["chain"], mine["seq"] + 2)
    assert verify_chain().intact


def test_a_refusal_at_the_commit_is_not_retried_for_its_access_record(
    aws_stack: AwsStack,
) -> None:
    # The verification was used meanwhile and the record's seq taken at the same commit: the
    # signup's own refusal stands at once; a retry could only be refused again.
    person = Person.new()
    verification_id = verified(person)
    commits: list[str] = []

    def both(params: dict[str, Any], **kwargs: Any) -> None:
        commits.append("TransactWriteItems")
        if len(commits) == 1:
            use_verification_elsewhere(verification_id)
            _rival_takes_the_seq(params, **kwargs)

    events = client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", both)
    try:
        result = _post(signup_body(person, verification_id, "manager.kim"))
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", both)
    assert (result.status, result.body["code"]) == (409, "VERIFICATION_USED")
    assert commits == ["TransactWriteItems"]
    assert _cognito_users(aws_stack) == []


def test_an_access_record_that_cannot_be_written_fails_the_signup_with_nothing_left(
    aws_stack: AwsStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # R-SEC-2: no member without the access record of their signup. Every chain tried stays
    # contended (boundedly): the account and the claim go, and the retry under the same key
    # goes through.
    monkeypatch.setattr(access_chain, "_MAX_ATTEMPTS", 3)
    person = Person.new()
    body = signup_body(person, verified(person), "manager.kim")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    contended: list[str] = []

    def always(params: dict[str, Any], **kwargs: Any) -> None:
        assert cognito.sub_of("manager.kim") is not None  # the account exists by now
        contended.append("TransactWriteItems")
        _rival_takes_the_seq(params, **kwargs)

    events = client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", always)
    try:
        failed = _post(body, key)
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", always)
    assert failed.status == 500
    assert len(contended) == 3
    assert _cognito_users(aws_stack) == []
    assert _members_items(aws_stack) == []  # no member, no claim
    assert "signup" not in {r["action"] for r in _access_records(aws_stack)}
    retry = _post(body, key)
    assert retry.status == 201, retry.body
    assert verify_chain().intact


def test_no_personal_data_or_password_reaches_the_logs(
    aws_stack: AwsStack, caplog: pytest.LogCaptureFixture
) -> None:
    # R-SEC-3: every log record, message and extra fields alike.
    person = Person.new()
    assert _post(signup_body(person, verified(person), "manager.kim")).status == 201
    assert _post(signup_body(person, verified(person), "manager.kim")).status == 409
    text = json.dumps([r.__dict__ for r in caplog.records], default=str, ensure_ascii=False)
    assert "signup stored" in text
    for secret in (PASSWORD, person.name, person.phone, "manager.kim", person.ci):
        assert secret not in text


def test_a_verification_used_meanwhile_fails_the_signup_and_removes_the_account(
    aws_stack: AwsStack,
) -> None:
    # R-IDV-2: the consumption is in the transaction, so a race for one verification has one winner.
    person = Person.new()
    verification_id = verified(person)
    with verification_used_meanwhile(verification_id):
        result = _post(signup_body(person, verification_id, "manager.kim"))
    assert (result.status, result.body["code"]) == (409, "VERIFICATION_USED")
    assert _cognito_users(aws_stack) == []
    assert _members_items(aws_stack) == []


def test_a_retry_while_the_first_is_in_flight_is_told_to_wait(aws_stack: AwsStack) -> None:
    person = Person.new()
    body = signup_body(person, verified(person), "manager.kim")
    key = "in-flight-1"
    retried: list[Exception] = []

    def retry() -> None:
        try:
            sign_up(SignupRequest.model_validate(body), key, LambdaContext())
        except Conflict as exc:
            retried.append(exc)

    with before_call("dynamodb", "TransactWriteItems", retry):
        first = _post(body, {"Idempotency-Key": key})
    assert first.status == 201
    assert len(retried) == 1
    assert "in progress" in retried[0].message


def test_a_verification_without_a_person_hash_is_not_usable(aws_stack: AwsStack) -> None:
    person = Person.new()
    verification_id = verified(person)
    aws_stack.client("dynamodb").update_item(
        TableName=aws_stack.physical_id("VerificationsTable"),
        Key={"verificationId": {"S": verification_id}},
        UpdateExpression="REMOVE personHash",
    )
    result = _post(signup_body(person, verification_id, "manager.kim"))
    assert (result.status, result.body["code"]) == (404, "VERIFICATION_NOT_FOUND")
    assert _cognito_users(aws_stack) == []


def test_a_password_the_pool_refuses_is_a_validation_error_and_leaves_no_account(
    aws_stack: AwsStack,
) -> None:
    # The pool's policy is the last word, even if it ever gets stricter than ours.
    request = SignupRequest.model_construct(login_id="manager.kim", password=SecretStr("weak"))
    with pytest.raises(ValidationFailed) as refused:
        signup_logic._create_account(request)
    assert refused.value.fields == ["password"]
    assert _cognito_users(aws_stack) == []


def test_cognito_dal_edges(aws_stack: AwsStack, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cognito.sub_of("nobody") is None
    cognito.delete_user("nobody")  # already gone is fine
    cognito.delete_own_user("nobody", "sub-1")
    sub = cognito.create_disabled_user("manager.kim", PASSWORD)
    cognito.delete_own_user("manager.kim", "another-sub")  # not ours: kept
    assert cognito.sub_of("manager.kim") == sub
    cognito.delete_own_user("manager.kim", sub)
    assert cognito.sub_of("manager.kim") is None
    # Errors other than the expected ones pass through.
    monkeypatch.setenv("USER_POOL_ID", "ap-northeast-2_missing")
    get_settings.cache_clear()
    with pytest.raises(ClientError):
        cognito.create_disabled_user("manager.lee", PASSWORD)
    with pytest.raises(ClientError):
        cognito.sub_of("manager.lee")
    with pytest.raises(ClientError):
        cognito.delete_user("manager.lee")
    with pytest.raises(ClientError):
        cognito.delete_own_user("manager.lee", sub)


def test_transaction_errors_other_than_cancellation_pass_through(aws_stack: AwsStack) -> None:
    with pytest.raises(ClientError):
        transactions.Transaction().add(
            "nowhere",
            transactions.Entry({"Put": {"TableName": "no-such-table", "Item": {"pk": {"S": "x"}}}}),
        ).commit()
