"""The process dies at each AWS call of a signup, a withdrawal and a sanction; the reconciler
runs; the state is untouched or fully done, nothing in between, and no account is orphaned.

Each request runs in a forked child against one moto server per module (the parent sees what
the child left). A botocore hook calls ``os._exit`` at the child's n-th AWS call: before the
request is sent, or after its reply arrived (the call happened, the process did not see it).
No except or finally block of the function runs. The reconciler then runs in the parent "after
the in-flight window" (its clock is an argument), and the state is classified.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from local import iam_check
from partnercenter.clock import utc_now
from partnercenter.dal import aws, cognito, intents
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item
from partnercenter.dal.data_keys import load_data_key
from partnercenter.hashing import login_id_hash, subject_pseudonym
from partnercenter.reconciler import ReconcileReport, reconcile
from tests.conftest import REGION, _reset_caches
from tests.integration.member_steps import OPERATOR, Person, sign_up, signup_body, verified
from tests.integration.retention_support import (
    ActiveMember,
    can_sign_in,
    cognito_user,
    get,
    make_active_member,
    member_partition,
    profile_of,
    raw,
    retained_of,
    scan_all,
)
from tests.support import LambdaContext, api_event, call, handler_module

SERVICES = ("dynamodb", "kms", "cognito-idp", "secretsmanager")
KILLED, COMPLETED = 77, 3
CHILD_TIMEOUT_SECONDS = 120  # a bound for a hung child, not a measurement
MAX_CALLS = 80  # far above any of these requests; the loops stop when a child completes
ABUSE = {"reason": "Resold tickets in bulk against the terms, article 12."}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_stack(template_model: Any) -> Iterator[None]:
    """One moto server for the module, every resource of the template in it."""
    from moto.server import ThreadedMotoServer

    from local import iam_check
    from local.provision import provision

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("AWS_ENDPOINT_URL", url)
            provisioned = provision(
                template_model, endpoint_url=url, region=REGION, seed_vendor_secret=True
            )
            # The children's calls are held to their roles in this stack, as in every test.
            iam_check.activate(iam_check.build_world(provisioned), enforce=False)
            _enrol_test_operators(provisioned, url)
            for function_id in template_model.functions:
                for key, value in provisioned.function_environment(function_id).items():
                    if not key.startswith("AWS_") and key != "POWERTOOLS_SERVICE_NAME":
                        env.setenv(key, value)
            _reset_caches()
            for function_dir in ("signup", "withdrawal", "sanctions", "admin"):
                handler_module(function_dir)  # imported once, before any fork
            yield
    finally:
        _reset_caches()
        server.stop()


def _enrol_test_operators(provisioned: Any, url: str) -> None:
    """The operators the sample events act as, enrolled in this server's operators' pool."""
    import boto3

    from local.operator import create_operator, enrol_totp
    from tests.integration.conftest import PASSWORD, TEST_OPERATORS

    cognito = boto3.client("cognito-idp", endpoint_url=url, region_name=REGION)
    pool = provisioned.physical_id("OperatorPool")
    client = provisioned.physical_id("OperatorPoolClient")
    for username in TEST_OPERATORS:
        create_operator(cognito, pool, username, PASSWORD)
        enrol_totp(cognito, pool, client, username, PASSWORD)


# ---------------------------------------------------------------------------- the killed child
Death = Callable[[str, int], bool]  # (operation, its position) -> die there?


def at_call(n: int) -> Death:
    return lambda _operation, position: position == n


def _child(
    function_dir: str, event: dict[str, Any], death: Death, after: bool, ctx: Any, report: Any
) -> None:
    aws.reset()  # the parent's connections are not the child's
    calls = 0
    records = {os.environ["ACCESS_RECORDS_TABLE"], os.environ["USAGE_RECORDS_TABLE"]}
    tables: set[str] = set()  # of the transaction about to be sent

    def transaction(params: dict[str, Any], **_: Any) -> None:
        tables.clear()
        tables.update(next(iter(item.values()))["TableName"] for item in params["TransactItems"])

    def die(model: Any, **_: Any) -> None:
        nonlocal calls
        calls += 1
        # The access and usage records' own transaction is not an operation's commit.
        records_only = model.name == "TransactWriteItems" and tables <= records
        operation = f"{model.name}(records)" if records_only else model.name
        if death(operation, calls):
            report.send(operation)
            os._exit(KILLED)  # no except, no finally: the process is gone

    for service in SERVICES:
        client(service).meta.events.register("after-call" if after else "before-call", die)
    client("dynamodb").meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems", transaction
    )
    call(function_dir, event, ctx)
    report.send(None)
    os._exit(COMPLETED)


def run_until_killed(
    function_dir: str, event: dict[str, Any], death: Death, after: bool, ctx: Any = None
) -> str | None:
    """Run the handler in a forked child that dies where ``death`` says (a fork passes the
    arguments as they are, unpickled); the operation it died at, or None if it completed."""
    forked = multiprocessing.get_context("fork")
    reader, writer = forked.Pipe(duplex=False)
    process = forked.Process(target=_child, args=(function_dir, event, death, after, ctx, writer))
    process.start()
    writer.close()
    died_at = reader.recv() if reader.poll(CHILD_TIMEOUT_SECONDS) else "nothing: it hung"
    process.join(CHILD_TIMEOUT_SECONDS)
    if process.is_alive():
        process.kill()
        process.join()
        pytest.fail(f"the {function_dir} child hung")
    reader.close()
    assert process.exitcode == (COMPLETED if died_at is None else KILLED), process.exitcode
    return died_at  # type: ignore[no-any-return]


def run_reconciler() -> ReconcileReport:
    """A scheduled run after the in-flight window; it never scans a table."""

    def refuse_scan(**_: Any) -> None:
        raise AssertionError("the reconciler scanned a table")

    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb.Scan", refuse_scan)
    try:
        later = utc_now() + intents.IN_FLIGHT_WINDOW + timedelta(seconds=1)
        # Held to ReconcilerFunction's role, as its scheduled runs are.
        with iam_check.acting_as("ReconcilerFunction"):
            report = reconcile(later, lambda: False)
    finally:
        events.unregister("before-call.dynamodb.Scan", refuse_scan)
    assert not report.remaining
    return report


def stale_intents() -> list[dict[str, Any]]:
    """Every intent left in MembersTable (tests only: a scan)."""
    return [from_item(i) for i in scan_all("MEMBERS_TABLE") if "intentQueue" in i]


def assert_no_orphaned_account() -> None:
    """Every Cognito account belongs to a member whose profile exists (pending or active).

    The profiles are read in one consistent scan, not one read per account: the module's
    accounts add up over its kill points, and every one of them is checked each time."""
    pages = (
        raw("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=os.environ["MEMBERS_TABLE"], ConsistentRead=True)
    )
    profiles = {
        item["pk"]["S"]
        for page in pages
        for item in page.get("Items", [])
        if item["sk"]["S"] == "PROFILE"
    }
    pool = os.environ["USER_POOL_ID"]
    for page in raw("cognito-idp").get_paginator("list_users").paginate(UserPoolId=pool):
        for user in page["Users"]:
            sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
            assert f"MEMBER#{sub}" in profiles, "an account without a member"


@dataclass
class Outcomes:
    states: list[tuple[str, str]]  # (the operation the request died at, the state after)
    reconciled: int = 0

    def assert_the_commit_decides(self, after: bool, commit: str = "TransactWriteItems") -> None:
        """Untouched up to the commit, done from it on: a death before the commit's request is
        sent leaves nothing, one after its reply arrived leaves the operation complete."""
        operations = [operation for operation, _ in self.states]
        states = [state for _, state in self.states]
        at = operations.index(commit)
        assert all(state == "untouched" for state in states[:at]), self.states
        assert states[at] == ("done" if after else "untouched"), self.states
        assert all(state == "done" for state in states[at + 1 :]), self.states
        assert self.reconciled > 0  # some deaths left an intent only the reconciler settled


def kill_at_every_call(
    prepare: Callable[[int], tuple[str, dict[str, Any], Any]],
    classify: Callable[[], str],
    after: bool,
) -> Outcomes:
    """For n = 1, 2, ...: prepare a fresh subject, kill its request at call n, reconcile,
    classify. Ends when the request completes without reaching call n."""
    outcomes = Outcomes(states=[])
    for kill_at in range(1, MAX_CALLS):
        function_dir, event, ctx = prepare(kill_at)
        died_at = run_until_killed(function_dir, event, at_call(kill_at), after, ctx)
        report = run_reconciler()
        state = classify()
        assert stale_intents() == [], kill_at
        assert_no_orphaned_account()
        if died_at is None:
            assert state == "done"
            assert kill_at > 5  # the request really made its calls
            return outcomes
        outcomes.states.append((died_at, state))
        outcomes.reconciled += report.settled
    pytest.fail("the request kept making AWS calls")


KILL_POINTS = pytest.mark.parametrize("after", [False, True], ids=["before-call", "after-call"])


# ---------------------------------------------------------------------------- signup
@KILL_POINTS
def test_a_signup_killed_at_any_call_is_untouched_or_stored_and_its_retry_answers_201(
    server_stack: None, after: bool
) -> None:
    # R-COL-4, R-SEC-1: no account without a member, no claim left, no half-stored member.
    subject: dict[str, Any] = {}

    def prepare(kill_at: int) -> tuple[str, dict[str, Any], Any]:
        person = Person.new(phone=f"0107{kill_at:03d}{int(after)}123")
        login_id = f"killed{kill_at:02d}{'a' if after else 'b'}{uuid.uuid4().hex[:6]}"
        body = signup_body(person, verified(person), login_id)
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        subject.update(login_id=login_id, body=body, headers=headers)
        event = api_event("signup", body=body, headers=headers)
        # The retry comes after the dead invocation's timeout: its idempotency lock has expired.
        return "signup", event, LambdaContext(remaining_ms=0)

    def classify() -> str:
        login_id = subject["login_id"]
        guard = get(
            "MEMBERS_TABLE",
            {"pk": {"S": f"LOGINID#{login_id_hash(login_id)}"}, "sk": {"S": "GUARD"}},
        )
        user = raw("cognito-idp").list_users(
            UserPoolId=os.environ["USER_POOL_ID"], Filter=f'username = "{login_id}"'
        )["Users"]
        verification = get(
            "VERIFICATIONS_TABLE", {"verificationId": {"S": subject["body"]["verificationId"]}}
        )
        assert verification is not None
        if guard is None:
            assert user == []
            assert verification["status"] == "VERIFIED"
            state = "untouched"
        else:
            member_id = guard["memberId"]
            assert "intentSince" not in guard
            assert profile_of(member_id)["status"] == "pending_approval"
            assert load_data_key(member_id) is not None
            [account] = user
            assert {a["Name"]: a["Value"] for a in account["Attributes"]}["sub"] == member_id
            assert account["Enabled"] is False  # never usable before approval
            assert verification["status"] == "CONSUMED"
            subject["member_id"] = member_id
            state = "done"
        # The same request under the same key: the first answer, or a first signup now.
        retry = call(
            "signup", api_event("signup", body=subject["body"], headers=subject["headers"])
        )
        assert retry.status == 201, retry.body
        if state == "done":
            assert retry.body["memberId"] == subject["member_id"]
        return state

    kill_at_every_call(prepare, classify, after).assert_the_commit_decides(after)


# ---------------------------------------------------------------------------- withdrawal
@KILL_POINTS
def test_a_withdrawal_killed_at_any_call_is_untouched_or_complete_after_the_reconciler(
    server_stack: None, after: bool
) -> None:
    # R-RET-1, R-RET-6: never a disabled account with the data intact, never an account left.
    subject: dict[str, Any] = {}

    def prepare(kill_at: int) -> tuple[str, dict[str, Any], Any]:
        member = make_active_member()
        subject.update(member=member, original=profile_of(member.member_id))
        event = api_event("withdrawal", body={}, claims=member.claims())
        return "withdrawal", event, None

    def classify() -> str:
        member: ActiveMember = subject["member"]
        if retained_of(member.member_id) is None:
            assert profile_of(member.member_id) == subject["original"]
            assert load_data_key(member.member_id) is not None
            assert can_sign_in(member)
            return "untouched"
        assert profile_of(member.member_id) is None
        assert member_partition(member.member_id) == []
        assert load_data_key(member.member_id) is None
        assert cognito_user(member) is None
        return "done"

    kill_at_every_call(prepare, classify, after).assert_the_commit_decides(after)


def test_a_withdrawal_killed_right_after_its_commit_leaves_no_consent_history(
    server_stack: None,
) -> None:
    # R-RET-1: the consent records beyond the commit's transaction go even when the request
    # died before deleting them; the reconciler finishes what the request would have.
    member = make_active_member(extra_consents=120)
    event = api_event("withdrawal", body={}, claims=member.claims())
    died_at = run_until_killed(
        "withdrawal", event, lambda operation, _: operation == "TransactWriteItems", after=True
    )
    assert died_at == "TransactWriteItems"  # the commit's reply arrived, then the process died
    assert retained_of(member.member_id) is not None
    assert member_partition(member.member_id) != []  # what the transaction had no room for
    assert run_reconciler().settled == 1
    assert member_partition(member.member_id) == []
    assert cognito_user(member) is None
    assert stale_intents() == []


def test_a_withdrawal_killed_just_before_its_commit_has_recorded_its_read(
    server_stack: None,
) -> None:
    # R-SEC-2: the withdrawal opens the member's items (to re-seal what is retained, and the
    # login ID as the account's username) before its commit, so the record of that read is
    # written before it, not in the commit: a process that dies right before the commit's
    # request is sent has read personal data, and its access record must exist.
    member = make_active_member()
    event = api_event("withdrawal", body={}, claims=member.claims())
    commit = "TransactWriteItems"
    assert run_until_killed("withdrawal", event, lambda op, _: op == commit, False) == commit
    pseudonym = subject_pseudonym(member.member_id)
    actions = [
        r["action"]
        for r in (from_item(i) for i in scan_all("ACCESS_RECORDS_TABLE"))
        if r["subject"] == pseudonym
    ]
    assert actions == ["withdraw"]
    run_reconciler()
    assert retained_of(member.member_id) is None  # untouched: only the read happened
    assert can_sign_in(member)


# ---------------------------------------------------------------------------- sanctions
@KILL_POINTS
def test_a_sanction_killed_at_any_call_is_untouched_or_in_force_after_the_reconciler(
    server_stack: None, after: bool
) -> None:
    # R-COL-5: suspended means recorded, on the profile and unable to sign in; else nothing.
    subject: dict[str, Any] = {}

    def prepare(kill_at: int) -> tuple[str, dict[str, Any], Any]:
        member = make_active_member()
        subject.update(member=member, original=profile_of(member.member_id))
        event = api_event(
            "admin-impose-sanction", body=ABUSE, path_params={"memberId": member.member_id}
        )
        return "sanctions", event, None

    def classify() -> str:
        member: ActiveMember = subject["member"]
        rows = raw("dynamodb").query(
            TableName=os.environ["SANCTIONS_TABLE"],
            KeyConditionExpression="memberId = :m",
            ExpressionAttributeValues={":m": {"S": member.member_id}},
            ConsistentRead=True,
        )["Items"]
        profile = profile_of(member.member_id)
        assert profile is not None
        if not rows:
            assert profile == subject["original"]
            assert can_sign_in(member)
            return "untouched"
        [row] = rows
        assert list(profile["sanctions"]) == [row["sanctionId"]["S"]]
        assert cognito_user(member) is not None
        assert not can_sign_in(member)
        return "done"

    kill_at_every_call(prepare, classify, after).assert_the_commit_decides(after)


# ---------------------------------------------------------------------------- the records
def test_the_reconciler_records_what_it_did_without_personal_data(server_stack: None) -> None:
    # R-SEC-2: each account the reconciler changed has an access record, actor "reconciler".
    member = make_active_member()
    event = api_event("withdrawal", body={}, claims=member.claims())
    # Dies right after the commit: the account deletion is the reconciler's.
    commit = "TransactWriteItems"
    assert run_until_killed("withdrawal", event, lambda op, _: op == commit, True) == commit
    assert cognito_user(member) is not None
    report = run_reconciler()
    assert report.deleted == 1
    assert cognito_user(member) is None
    records = [from_item(i) for i in scan_all("ACCESS_RECORDS_TABLE")]
    mine = [r for r in records if r["actor"] == "reconciler" and r["action"] == "delete_account"]
    assert len(mine) >= 1
    text = str(mine)
    for value in (member.login_id, member.name, member.phone, member.member_id):
        assert value not in text


@pytest.mark.parametrize("after", [False, True], ids=["before-commit", "after-commit"])
def test_a_rejection_that_dies_at_its_commit_is_pending_or_fully_destroyed(
    server_stack: None, after: bool
) -> None:
    # R-COL-4: the application and its account go together, or neither does.
    person = Person.new(phone=f"0105555{int(after)}{uuid.uuid4().int % 1000:03d}")
    login_id = f"rejected{int(after)}{uuid.uuid4().hex[:6]}"
    signed_up = sign_up(person, login_id)
    assert signed_up.status == 201, signed_up.body
    member_id = signed_up.body["memberId"]
    event = api_event(
        "admin-decision",
        body={"decision": "reject"},
        claims=OPERATOR,
        path_params={"memberId": member_id},
    )
    commit = "TransactWriteItems"
    assert run_until_killed("admin", event, lambda op, _: op == commit, after) == commit
    run_reconciler()
    assert stale_intents() == []
    assert_no_orphaned_account()
    account = cognito.sub_of(login_id)
    if after:
        assert profile_of(member_id) is None
        assert load_data_key(member_id) is None
        assert account is None
    else:
        assert profile_of(member_id)["status"] == "pending_approval"
        assert account == member_id


def test_the_reconciler_stops_when_out_of_time_and_the_next_run_finishes(
    server_stack: None,
) -> None:
    member = make_active_member()
    event = api_event("withdrawal", body={}, claims=member.claims())
    commit = "TransactWriteItems"
    assert run_until_killed("withdrawal", event, lambda op, _: op == commit, True) == commit
    later = utc_now() + intents.IN_FLIGHT_WINDOW + timedelta(seconds=1)
    stopped = reconcile(later, lambda: True)
    assert (stopped.remaining, stopped.settled) == (True, 0)
    assert cognito_user(member) is not None
    # Not yet stale: an operation that may still be in flight is left alone.
    assert reconcile(utc_now(), lambda: False).settled == 0
    assert run_reconciler().deleted == 1
    assert cognito_user(member) is None


@KILL_POINTS
def test_an_approval_killed_at_any_call_is_pending_or_active_with_sign_in(
    server_stack: None, after: bool
) -> None:
    # R-COL-4: active means able to sign in; pending means not; never active and locked out.
    subject: dict[str, Any] = {}

    def prepare(kill_at: int) -> tuple[str, dict[str, Any], Any]:
        person = Person.new(phone=f"0106{kill_at:03d}{int(after)}456")
        login_id = f"approved{kill_at:02d}{int(after)}{uuid.uuid4().hex[:6]}"
        signed_up = sign_up(person, login_id)
        assert signed_up.status == 201, signed_up.body
        subject.update(member_id=signed_up.body["memberId"], login_id=login_id)
        event = api_event(
            "admin-decision",
            body={"decision": "approve"},
            claims=OPERATOR,
            path_params={"memberId": subject["member_id"]},
        )
        return "admin", event, None

    def classify() -> str:
        profile = profile_of(subject["member_id"])
        assert profile is not None
        [user] = raw("cognito-idp").list_users(
            UserPoolId=os.environ["USER_POOL_ID"], Filter=f'username = "{subject["login_id"]}"'
        )["Users"]
        if profile["status"] == "pending_approval":
            assert user["Enabled"] is False
            return "untouched"
        assert profile["status"] == "active"
        assert user["Enabled"] is True
        return "done"

    outcomes = kill_at_every_call(prepare, classify, after)
    # The status change is the commit: before it pending, from it on active and enabled.
    outcomes.assert_the_commit_decides(after, commit="UpdateItem")
