"""POST /members/me/withdrawal over moto: destruction, separated storage, crypto-shredding, and
atomicity from the outside under injected faults at every AWS call."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from local.iam_check import acting_as
from partnercenter.clock import iso, one_year_after, parse_iso
from partnercenter.crypto import FieldCipher, UnreadableCiphertext
from partnercenter.dal import aws
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item
from partnercenter.dal.data_keys import RETAINED_DATA, load_data_key, retained_subject
from partnercenter.dal.retained_phones import is_retained
from partnercenter.hashing import login_id_hash, phone_hash, subject_pseudonym
from tests.integration.retention_support import (
    ActiveMember,
    Hook,
    can_sign_in,
    change_profile_elsewhere,
    cognito_user,
    destruction_records_of,
    get,
    hold_rows,
    make_active_member,
    member_partition,
    profile_of,
    raw,
    retained_of,
    scan_all,
    withdraw,
)
from tests.support import api_event, call

SERVICES = ("dynamodb", "kms", "cognito-idp", "secretsmanager")
ALL_TABLES = (
    "MEMBERS_TABLE",
    "DATA_KEYS_TABLE",
    "VERIFICATIONS_TABLE",
    "RETAINED_TABLE",
    "HOLDS_TABLE",
    "DESTRUCTION_RECORDS_TABLE",
    "ACCESS_RECORDS_TABLE",
    "USAGE_RECORDS_TABLE",
    "IDEMPOTENCY_TABLE",
)


def access_actions(member_id: str) -> list[str]:
    """The actions of the access records whose subject is the member."""
    pseudonym = subject_pseudonym(member_id)
    records = (from_item(i) for i in scan_all("ACCESS_RECORDS_TABLE"))
    return [r["action"] for r in records if r["subject"] == pseudonym]


def assert_no_plaintext_anywhere(member: ActiveMember) -> None:
    # R-SEC-1: no table holds a name, phone or login ID in clear, before or after.
    for table in ALL_TABLES:
        text = str(scan_all(table))
        for value in (member.name, member.phone, member.login_id):
            assert value not in text, table


def expected_receipt(withdrawn_at: str) -> dict[str, Any]:
    return {
        "status": "withdrawn",
        "retained": [
            {
                "items": ["name", "phone"],
                "reason": "fraud_prevention",
                "until": iso(one_year_after(parse_iso(withdrawn_at))),
            }
        ],
    }


# ---------------------------------------------------------------------------- the happy path
def test_withdrawal_destroys_what_no_hold_covers_and_separates_name_and_phone(aws_stack) -> None:
    # R-RIGHT-2, R-RET-1, R-RET-2, R-RET-5, R-RET-6, R-RET-7
    member = make_active_member()
    before = profile_of(member.member_id)
    assert before is not None
    old_key = load_data_key(member.member_id)
    assert old_key is not None
    assert FieldCipher(member.member_id, old_key).open("name", before["nameEnc"]) == member.name

    result = withdraw(member)

    assert result.status == 200
    record = retained_of(member.member_id)
    assert record is not None
    assert result.body == expected_receipt(record["withdrawnAt"])
    withdrawn_at = parse_iso(record["withdrawnAt"])
    assert abs(withdrawn_at - datetime.now(UTC)) < timedelta(minutes=1)

    # The members table holds nothing of them: profile, consents, login-ID and person guards.
    assert member_partition(member.member_id) == []
    assert (
        get(
            "MEMBERS_TABLE",
            {"pk": {"S": f"LOGINID#{login_id_hash(member.login_id)}"}, "sk": {"S": "GUARD"}},
        )
        is None
    )
    assert (
        get("MEMBERS_TABLE", {"pk": {"S": f"PERSON#{member.person_hash}"}, "sk": {"S": "GUARD"}})
        is None
    )

    # Separated storage: only name and phone, sealed under the retained data key (R-RET-5).
    assert set(record) == {
        "subject",
        "withdrawnAt",
        "items",
        "nameEnc",
        "phoneEnc",
        "phoneHash",
        "holdVersion",
        "dueAt",
        "dueShard",
        "holdIds",
    }
    assert record["items"] == ["name", "phone"]
    assert record["dueAt"] == iso(one_year_after(withdrawn_at))
    assert record["dueShard"] in {f"DUE#{n}" for n in range(4)}
    subject = retained_subject(member.member_id)
    retained_key = load_data_key(subject, RETAINED_DATA)
    assert retained_key is not None
    sealed = FieldCipher(subject, retained_key)
    assert sealed.open("name", record["nameEnc"]) == member.name
    assert sealed.open("phone", record["phoneEnc"]) == member.phone
    assert is_retained(phone_hash(member.phone))  # fraud prevention's one question

    # Crypto-shredding: the live data key is gone, so no copy of the old ciphertexts opens.
    # R-RET-6
    assert load_data_key(member.member_id) is None
    assert get("DATA_KEYS_TABLE", {"subject": {"S": member.member_id}}) is None
    with pytest.raises(UnreadableCiphertext):
        FieldCipher(member.member_id, retained_key).open("name", before["nameEnc"])

    # One destruction record, with what was destroyed and no personal data. R-RET-7
    records = call(
        "admin",
        api_event(
            "admin-destruction-records",
            query={
                "from": iso(withdrawn_at - timedelta(minutes=1)),
                "to": iso(withdrawn_at + timedelta(minutes=1)),
            },
        ),
    )
    assert records.status == 200
    mine = [r for r in records.body["items"] if r["subject"] == subject_pseudonym(member.member_id)]
    assert len(mine) == 1
    assert mine[0]["kind"] == "member_profile"
    assert mine[0]["items"] == ["loginId", "consents"]
    assert mine[0]["reason"] == "withdrawal"
    assert member.member_id not in str(records.body)

    # The automatic hold; the live-member version row is gone.
    holds = hold_rows(member.member_id)
    assert [(h["kind"], h["items"], h["until"]) for h in holds] == [
        ("fraud_prevention", ["name", "phone"], record["dueAt"])
    ]
    assert record["holdIds"] == {holds[0]["holdId"]}  # the purge deletes these without a read

    # The account is gone: no sign-in (R-RIGHT-2), and the access was recorded (R-SEC-2).
    assert cognito_user(member) is None
    assert not can_sign_in(member)
    assert access_actions(member.member_id) == ["withdraw"]
    assert_no_plaintext_anywhere(member)


def test_a_repeated_withdrawal_answers_the_same_and_other_routes_refuse_the_old_token(
    aws_stack,
) -> None:
    # R-RIGHT-2: the retained record is the receipt; the profile is gone (R-RIGHT-5).
    member = make_active_member()
    first = withdraw(member)
    again = withdraw(member)
    assert first.status == again.status == 200
    assert again.body == first.body
    assert len(destruction_records_of(member.member_id)) == 1
    profile = call("profile", api_event("get-profile", claims=member.claims()))
    assert (profile.status, profile.body["code"]) == (401, "UNAUTHORIZED")


def test_a_stranger_or_a_signed_out_member_gets_401_and_nothing_changes(aws_stack) -> None:
    member = make_active_member()
    stranger = ActiveMember("no-such-member", "x", "x", "x", "x", "x")
    assert withdraw(stranger).status == 401
    profile = profile_of(member.member_id)
    raw("dynamodb").update_item(
        TableName=os.environ["MEMBERS_TABLE"],
        Key={"pk": {"S": f"MEMBER#{member.member_id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET signedOutAt = :t",
        ExpressionAttributeValues={":t": {"N": str(2**40)}},
    )
    refused = withdraw(member)
    assert refused.status == 401
    assert refused.body["code"] == "UNAUTHORIZED"
    assert retained_of(member.member_id) is None
    assert profile_of(member.member_id)["nameEnc"] == profile["nameEnc"]


def test_the_body_is_an_empty_object_and_unknown_fields_are_refused(aws_stack) -> None:
    member = make_active_member()
    refused = withdraw(member, body={"reason": "x"})
    assert refused.status == 422
    assert refused.body["fields"] == ["reason"]
    assert retained_of(member.member_id) is None
    no_body = call("withdrawal", api_event("withdrawal", raw_body="", claims=member.claims()))
    assert no_body.status == 200


def test_consent_history_beyond_one_transaction_is_destroyed_too(aws_stack) -> None:
    # R-RET-1: 2 signup consents + 120 later ones do not fit one transaction with the rest.
    member = make_active_member(extra_consents=120)
    assert len(member_partition(member.member_id)) == 123
    result = withdraw(member)
    assert result.status == 200
    assert member_partition(member.member_id) == []


def test_destruction_records_are_paged_and_for_operators_only(aws_stack) -> None:
    # R-RET-7: GET /admin/destruction-records?from&to, with limit and nextToken.
    members = [make_active_member() for _ in range(3)]
    for member in members:
        assert withdraw(member).status == 200
    now = datetime.now(UTC)
    window = {"from": iso(now - timedelta(minutes=5)), "to": iso(now + timedelta(minutes=5))}

    def page(query: dict[str, str], claims: dict[str, str] | None = None) -> Any:
        return call("admin", api_event("admin-destruction-records", query=query, claims=claims))

    first = page({**window, "limit": "2"})
    assert first.status == 200
    assert len(first.body["items"]) == 2
    second = page({**window, "limit": "2", "nextToken": first.body["nextToken"]})
    assert second.status == 200
    assert second.body["nextToken"] is None
    subjects = [r["subject"] for r in first.body["items"] + second.body["items"]]
    assert sorted(subjects) == sorted(subject_pseudonym(m.member_id) for m in members)

    assert page(window, claims=members[0].claims()).status == 403
    missing = page({"from": window["from"]})
    assert (missing.status, missing.body["fields"]) == (422, ["to"])
    backwards = page({"from": window["to"], "to": window["from"]})
    assert backwards.status == 422


# ---------------------------------------------------------------------------- races
def test_a_profile_change_during_withdrawal_cancels_it_and_reenables_the_account(aws_stack) -> None:
    member = make_active_member()

    Hook("TransactWriteItems", lambda: change_profile_elsewhere(member.member_id)).install()
    result = withdraw(member)
    assert result.status == 409
    assert result.body["code"] == "CONFLICT"
    assert retained_of(member.member_id) is None
    assert len(member_partition(member.member_id)) == 3
    assert can_sign_in(member)  # the account was disabled for the commit, then re-enabled
    # R-SEC-2: the items were opened before the cancelled commit; that read stays recorded.
    assert access_actions(member.member_id) == ["withdraw"]
    assert withdraw(member).status == 200


def test_a_hold_added_during_withdrawal_is_never_missed(aws_stack) -> None:
    # R-RET-2: a settlement hold that lands between the withdrawal's read and its commit.
    member = make_active_member()

    def operator_adds_settlement_hold() -> None:
        added = call(
            "holds",
            api_event(
                "admin-add-hold",
                body={"kind": "settlement", "reason": "Open settlement."},
                path_params={"memberId": member.member_id},
            ),
        )
        assert added.status == 201

    hook = Hook("TransactWriteItems", operator_adds_settlement_hold)
    hook.install()
    assert withdraw(member).status == 409
    assert retained_of(member.member_id) is None
    retried = withdraw(member)
    assert retried.status == 200
    assert retried.body["retained"] == [
        {"items": ["name", "phone"], "reason": "fraud_prevention, settlement", "until": None}
    ]
    assert "dueAt" not in retained_of(member.member_id)


@pytest.mark.parametrize("rival_lands_before", ["Query", "TransactWriteItems"])
def test_concurrent_withdrawals_answer_the_same_and_destroy_once(
    aws_stack, rival_lands_before: str
) -> None:
    # R-RET-7: a rival request commits after this one read the profile (before its key is
    # loaded, or before its own commit); both answer alike, one destruction record.
    member = make_active_member()
    rival: list[Any] = []
    Hook(rival_lands_before, lambda: rival.append(withdraw(member))).install()
    mine = withdraw(member)
    assert rival[0].status == mine.status == 200
    assert mine.body == rival[0].body
    assert len(destruction_records_of(member.member_id)) == 1
    assert cognito_user(member) is None


def test_a_member_without_an_account_still_withdraws_and_a_failed_commit_leaves_them(
    aws_stack,
) -> None:
    # R-RIGHT-2: the account may already be gone (an operator removed it); the data still goes.
    member = make_active_member()
    original = profile_of(member.member_id)
    raw("cognito-idp").admin_delete_user(
        UserPoolId=os.environ["USER_POOL_ID"], Username=member.login_id
    )

    failed: list[str] = []

    def fail_the_commit(params: dict[str, Any], **_: Any) -> None:
        tables = {next(iter(item.values()))["TableName"] for item in params["TransactItems"]}
        if os.environ["RETAINED_TABLE"] in tables and not failed:
            failed.append("commit")
            raise EndpointConnectionError(endpoint_url="injected")

    client("dynamodb").meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems", fail_the_commit
    )
    assert withdraw(member).status == 500
    assert failed == ["commit"]
    assert retained_of(member.member_id) is None
    assert len(member_partition(member.member_id)) == 3
    assert profile_of(member.member_id) == original  # the mark removed: nothing to re-enable
    assert withdraw(member).status == 200
    assert member_partition(member.member_id) == []


def test_an_account_gone_between_lookup_and_delete_is_fine(aws_stack) -> None:
    member = make_active_member()

    def account_removed_meanwhile() -> None:
        raw("cognito-idp").admin_delete_user(
            UserPoolId=os.environ["USER_POOL_ID"], Username=member.login_id
        )

    hook = Hook("AdminDeleteUser", account_removed_meanwhile, service="cognito-idp")
    hook.install()
    assert withdraw(member).status == 200
    assert hook.fired == 1
    assert cognito_user(member) is None
    assert retained_of(member.member_id) is not None


def test_a_signup_that_takes_the_freed_login_id_after_the_commit_keeps_its_account(
    aws_stack,
) -> None:
    # R-RIGHT-2: the commit frees the login ID, so the account deleted after it is found by
    # sub, never by the login ID the withdrawal read before its commit.
    member = make_active_member()
    pool = os.environ["USER_POOL_ID"]
    newcomer: list[str] = []

    def signup_takes_the_login_id(**_: Any) -> None:
        with acting_as(None):  # a rival's calls, not the handler's
            if newcomer or retained_of(member.member_id) is None:
                return  # not the commit
            # What a signup holding the login ID's claim does (members/signup.py): the ended
            # membership's account goes, and its own is made under the same username.
            idp = raw("cognito-idp")
            idp.admin_delete_user(UserPoolId=pool, Username=member.login_id)
            created = idp.admin_create_user(
                UserPoolId=pool, Username=member.login_id, MessageAction="SUPPRESS"
            )
            newcomer.append(_sub(created["User"]["Attributes"]))

    client("dynamodb").meta.events.register(
        "after-call.dynamodb.TransactWriteItems", signup_takes_the_login_id
    )
    result = withdraw(member)
    assert result.status == 200
    assert newcomer, "the commit never happened"
    user = raw("cognito-idp").admin_get_user(UserPoolId=pool, Username=member.login_id)
    assert _sub(user["UserAttributes"]) == newcomer[0]
    assert cognito_user(member) is None


def _sub(attributes: list[dict[str, str]]) -> str:
    return next(a["Value"] for a in attributes if a["Name"] == "sub")


# ---------------------------------------------------------------------------- fault injection
class InjectedFault(Exception):
    pass


@dataclass
class FaultInjector:
    """Fails the n-th AWS call: before it is sent (nothing happened) or after it succeeded
    (the reply was lost), as botocore event hooks on every client the code uses."""

    fail_at: int
    after: bool
    calls: list[str] = field(default_factory=list)
    active: bool = True

    def __call__(self, model: Any, **_: Any) -> None:
        if not self.active:
            return
        self.calls.append(model.name)
        if len(self.calls) == self.fail_at:
            if self.after:
                raise ReadTimeoutError(endpoint_url=f"injected after {model.name}")
            raise EndpointConnectionError(endpoint_url=f"injected before {model.name}")

    @property
    def fired(self) -> bool:
        return len(self.calls) >= self.fail_at

    def install(self) -> None:
        for service in SERVICES:
            client(service).meta.events.register(
                "after-call" if self.after else "before-call", self
            )


def state_after_fault(member: ActiveMember, original: dict[str, Any], consents: int) -> str:
    """'untouched' or 'withdrawn'; anything in between fails the test."""
    record = retained_of(member.member_id)
    mine = destruction_records_of(member.member_id)
    holds = hold_rows(member.member_id)
    if record is None:
        assert profile_of(member.member_id) == original
        assert len(member_partition(member.member_id)) == consents
        assert load_data_key(member.member_id) is not None
        assert (
            get("DATA_KEYS_TABLE", {"subject": {"S": retained_subject(member.member_id)}}) is None
        )
        assert holds == []
        assert mine == []
        assert can_sign_in(member)
        return "untouched"
    assert member_partition(member.member_id) == []
    assert profile_of(member.member_id) is None
    assert load_data_key(member.member_id) is None
    assert load_data_key(retained_subject(member.member_id), RETAINED_DATA) is not None
    assert [h["kind"] for h in holds] == ["fraud_prevention"]
    assert len(mine) == 1
    assert not can_sign_in(member)  # disabled before the commit, deleted after it
    return "withdrawn"


@pytest.mark.parametrize("after", [False, True], ids=["before-call", "after-call"])
def test_a_fault_at_any_aws_call_leaves_the_member_untouched_or_fully_withdrawn(
    aws_stack, after: bool
) -> None:
    # R-RET-1, R-RET-6: no half-withdrawn state, never personal data outside its retention.
    seen: dict[str, int] = {"untouched": 0, "withdrawn": 0}
    outcomes: list[tuple[str, int, str]] = []
    calls_of_a_withdrawal = 0
    for fail_at in range(1, 60):  # bounded; breaks once the fault no longer fires
        aws.reset()
        member = make_active_member()
        original = profile_of(member.member_id)
        consents = len(member_partition(member.member_id))
        aws.secrets_provider.cache_clear()  # secret reads are calls to fail too
        injector = FaultInjector(fail_at, after)
        injector.install()
        result = withdraw(member)
        injector.active = False
        if not injector.fired:
            assert result.status == 200
            calls_of_a_withdrawal = len(injector.calls)
            break
        assert result.status in (200, 500)
        state = state_after_fault(member, original, consents)
        seen[state] += 1
        outcomes.append((injector.calls[fail_at - 1], result.status, state))
        assert_no_plaintext_anywhere(member)

        retry = withdraw(member)
        assert retry.status == 200, (fail_at, injector.calls[fail_at - 1])
        record = retained_of(member.member_id)
        assert retry.body == expected_receipt(record["withdrawnAt"])
        if result.status == 200:
            assert result.body == retry.body
        assert state_after_fault(member, original, consents) == "withdrawn"
        assert member_partition(member.member_id) == []
        assert cognito_user(member) is None
        assert withdraw(member).body == retry.body
    else:
        pytest.fail("the withdrawal kept making AWS calls")
    assert calls_of_a_withdrawal >= 10  # it really ran: 16 today, secret reads included
    assert seen["untouched"] > 0
    assert seen["withdrawn"] > 0
    # The commit point is the withdrawal's transaction (the last one; the first writes the
    # access and usage records): every fault before it leaves the member untouched.
    commit = max(i for i, o in enumerate(outcomes) if o[0] == "TransactWriteItems")
    assert all(state == "untouched" for _, _, state in outcomes[:commit])
    assert all(state == "withdrawn" for _, _, state in outcomes[commit + 1 :])
    assert outcomes[commit][2] == ("withdrawn" if after else "untouched")
