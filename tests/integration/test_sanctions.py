"""Sanctions (이용정지) over moto: suspension closes member routes and sign-in, lifting reopens
them, timed ones end by the hourly sweep, records are kept a year and then purged."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from partnercenter.clock import iso, one_year_after, parse_iso
from partnercenter.dal.codec import from_item
from partnercenter.hashing import subject_pseudonym
from partnercenter.models import Caller
from partnercenter.retention.purge import Deadline, run_purge
from partnercenter.sanctions.service import (
    SanctionRequest,
    end_elapsed_sanctions,
    impose_sanction,
)
from tests.integration.retention_support import (
    ActiveMember,
    Hook,
    can_sign_in,
    change_profile_elsewhere,
    destruction_records_of,
    get,
    make_active_member,
    profile_of,
    raw,
    scan_all,
    withdraw,
)
from tests.support import LambdaContext, api_event, call, claims_for, handler_module, load_event

OPERATOR_ID = "7f3c2a10-0000-4000-8000-00000000a001"  # the sample events' operator
ABUSE = {"reason": "Resold tickets in bulk against the terms, article 12."}


def impose(member_id: str, body: dict[str, Any], claims: dict[str, str] | None = None) -> Any:
    event = api_event(
        "admin-impose-sanction", body=body, path_params={"memberId": member_id}, claims=claims
    )
    return call("sanctions", event)


def lift(member_id: str, sanction_id: str, claims: dict[str, str] | None = None) -> Any:
    event = api_event(
        "admin-lift-sanction",
        path_params={"memberId": member_id, "sanctionId": sanction_id},
        claims=claims,
    )
    return call("sanctions", event)


def profile(member: ActiveMember) -> Any:
    return call("profile", api_event("get-profile", claims=member.claims()))


def sanction_row(member_id: str, sanction_id: str) -> dict[str, Any] | None:
    return get("SANCTIONS_TABLE", {"memberId": {"S": member_id}, "sanctionId": {"S": sanction_id}})


def operator() -> Caller:
    return Caller(member_id=OPERATOR_ID, groups=("privacy-admin",), issued_at=0, source_ip="")


# R-COL-5
def test_a_suspended_member_is_refused_and_cannot_sign_in_until_lifted(aws_stack) -> None:
    member = make_active_member()
    assert profile(member).status == 200

    imposed = impose(member.member_id, ABUSE)

    assert imposed.status == 201, imposed.body
    sanction_id = imposed.body["sanctionId"]
    refused = profile(member)
    assert (refused.status, refused.body["code"]) == (403, "MEMBER_SUSPENDED")
    consents = call(
        "profile", api_event("post-consents", body={"marketing": True}, claims=member.claims())
    )
    assert (consents.status, consents.body["code"]) == (403, "MEMBER_SUSPENDED")
    assert not can_sign_in(member)
    row = sanction_row(member.member_id, sanction_id)
    assert row is not None
    assert (row["reason"], row["createdBy"]) == (ABUSE["reason"], OPERATOR_ID)
    assert "expiresAtEpoch" not in row  # open: kept while it lasts
    actions = [(r["actor"], r["action"]) for r in map(from_item, scan_all("ACCESS_RECORDS_TABLE"))]
    assert (OPERATOR_ID, "impose_sanction") in actions

    lifted = lift(member.member_id, sanction_id)

    assert lifted.status == 200, lifted.body
    assert lifted.body["inForce"] is False
    assert lifted.body["liftedAt"]
    assert can_sign_in(member)
    shown = profile(member)
    assert shown.status == 200
    [seen] = shown.body["sanctions"]
    assert seen == {
        "sanctionId": sanction_id,
        "reason": ABUSE["reason"],
        "startsAt": row["startsAt"],
        "endsAt": None,
        "liftedAt": lifted.body["liftedAt"],
        "inForce": False,
    }
    # Kept one year after the lifting (R-RET-8), the sign-in block cleared.
    row = sanction_row(member.member_id, sanction_id)
    assert row["expiresAtEpoch"] == int(one_year_after(parse_iso(row["liftedAt"])).timestamp())
    assert "blocked" not in row
    assert lift(member.member_id, sanction_id).body == lifted.body  # a repeat answers the same


# R-COL-5
def test_sign_in_reopens_only_when_no_other_sanction_is_in_force(aws_stack) -> None:
    member = make_active_member()
    first = impose(member.member_id, ABUSE).body["sanctionId"]
    ends = datetime.now(UTC) + timedelta(days=7)
    second = impose(member.member_id, {**ABUSE, "endsAt": iso(ends)}).body["sanctionId"]
    assert sanction_row(member.member_id, second)["expiresAtEpoch"] == int(
        one_year_after(parse_iso(iso(ends))).timestamp()
    )

    assert lift(member.member_id, first).status == 200
    assert profile(member).body["code"] == "MEMBER_SUSPENDED"
    assert not can_sign_in(member)

    assert lift(member.member_id, second).status == 200
    assert profile(member).status == 200
    assert can_sign_in(member)


# R-COL-5
def test_a_timed_sanction_ends_by_itself_and_the_sweep_reopens_sign_in(aws_stack) -> None:
    member = make_active_member()
    then = datetime.now(UTC) - timedelta(days=3)
    created = impose_sanction(
        operator(),
        member.member_id,
        SanctionRequest.model_validate(
            {**ABUSE, "startsAt": iso(then), "endsAt": iso(then + timedelta(days=1))}
        ),
        now=then,
    )
    # Ended two days ago: member routes are open again at once, sign-in after the sweep.
    assert profile(member).status == 200
    assert not can_sign_in(member)
    assert sanction_row(member.member_id, created.sanction_id)["blocked"] == "BLOCKED"

    hourly = handler_module("sanctions").lambda_handler(
        load_event("sanctions-hourly"), LambdaContext()
    )

    assert hourly == {"ended": 1, "remaining": False}
    assert can_sign_in(member)
    assert profile_of(member.member_id)["sanctions"] == {}
    assert "blocked" not in sanction_row(member.member_id, created.sanction_id)
    again = end_elapsed_sanctions(datetime.now(UTC), lambda: False)
    assert again.ended == 0  # nothing left to sweep


def test_an_unfinished_sweep_reports_what_remains(aws_stack) -> None:
    member = make_active_member()
    then = datetime.now(UTC) - timedelta(days=3)
    for _ in range(2):
        impose_sanction(
            operator(),
            member.member_id,
            SanctionRequest.model_validate({**ABUSE, "endsAt": iso(then + timedelta(hours=1))}),
            now=then,
        )
    ticks = iter([False, True])
    report = end_elapsed_sanctions(datetime.now(UTC), lambda: next(ticks))
    assert (report.ended, report.remaining) == (1, True)
    assert len(profile_of(member.member_id)["sanctions"]) == 1  # the next run's part
    assert end_elapsed_sanctions(datetime.now(UTC), lambda: False).ended == 1
    assert profile_of(member.member_id)["sanctions"] == {}
    assert can_sign_in(member)
    assert all("blocked" not in from_item(i) for i in scan_all("SANCTIONS_TABLE"))


# R-RIGHT-2, R-COL-5, R-RET-8
def test_a_suspended_member_can_still_withdraw_and_open_sanctions_end_with_it(aws_stack) -> None:
    member = make_active_member()
    sanction_id = impose(member.member_id, ABUSE).body["sanctionId"]

    withdrawn = withdraw(member)

    assert withdrawn.status == 200, withdrawn.body
    row = sanction_row(member.member_id, sanction_id)
    ended = parse_iso(row["membershipEndedAt"])
    assert row["expiresAtEpoch"] == int(one_year_after(ended).timestamp())
    assert "blocked" not in row
    assert profile_of(member.member_id) is None


# R-COL-5
def test_a_failed_withdrawal_leaves_a_suspended_member_disabled(aws_stack) -> None:
    from botocore.exceptions import EndpointConnectionError

    member = make_active_member()
    impose(member.member_id, ABUSE)

    def fail() -> None:
        raise EndpointConnectionError(endpoint_url="https://dynamodb")

    Hook("TransactWriteItems", fail).install()
    assert withdraw(member).status == 500
    assert profile_of(member.member_id) is not None
    assert not can_sign_in(member)  # the compensation did not re-enable a suspended account


# R-COL-5
def test_a_sanction_that_loses_a_race_changes_nothing(aws_stack) -> None:
    member = make_active_member()

    Hook("TransactWriteItems", lambda: change_profile_elsewhere(member.member_id)).install()
    raced = impose(member.member_id, ABUSE)
    assert (raced.status, raced.body["code"]) == (409, "CONFLICT")
    assert can_sign_in(member)
    assert scan_all("SANCTIONS_TABLE") == []
    assert profile(member).status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ABUSE, "startsAt": "2099-01-01T00:00:00Z"}, "startsAt"),
        ({**ABUSE, "endsAt": "2020-01-01T00:00:00Z"}, "endsAt"),
        ({**ABUSE, "startsAt": "0042-03-26T00:00:00Z"}, "startsAt"),
        ({**ABUSE, "endsAt": "9999-12-31T00:00:00Z"}, "endsAt"),
        ({"reason": ""}, "reason"),
        ({**ABUSE, "severity": "high"}, "severity"),
    ],
)
def test_invalid_sanctions_are_refused_by_field(aws_stack, body, field) -> None:
    member = make_active_member()
    refused = impose(member.member_id, body)
    assert (refused.status, refused.body["code"]) == (422, "VALIDATION_FAILED")
    assert field in refused.body["fields"]
    assert can_sign_in(member)


def test_only_operators_sanction_and_only_active_members(aws_stack) -> None:
    member = make_active_member()
    as_member = impose(member.member_id, ABUSE, claims=claims_for(member.member_id))
    assert (as_member.status, as_member.body["code"]) == (403, "FORBIDDEN")
    assert impose(str(uuid.uuid4()), ABUSE).status == 404
    assert lift(member.member_id, str(uuid.uuid4())).status == 404
    as_member = lift(member.member_id, str(uuid.uuid4()), claims=claims_for(member.member_id))
    assert as_member.status == 403


# R-RET-8, R-RET-7
def test_sanction_records_are_purged_a_year_after_the_sanction_and_recorded(aws_stack) -> None:
    member = make_active_member()
    sanction_id = impose(member.member_id, ABUSE).body["sanctionId"]
    lifted_at = parse_iso(lift(member.member_id, sanction_id).body["liftedAt"])
    deadline = Deadline(lambda: 60_000)

    early = run_purge(
        one_year_after(lifted_at) - timedelta(days=1), dry_run=False, run_id="r1", deadline=deadline
    )
    assert early.expired_sanction_records == 0
    assert sanction_row(member.member_id, sanction_id) is not None

    due = one_year_after(lifted_at) + timedelta(days=1)
    dry = run_purge(due, dry_run=True, run_id="r2", deadline=deadline)
    assert dry.expired_sanction_records == 1
    assert sanction_row(member.member_id, sanction_id) is not None

    done = run_purge(due, dry_run=False, run_id="r3", deadline=deadline)

    assert done.expired_sanction_records == 1
    assert sanction_row(member.member_id, sanction_id) is None
    [record] = [r for r in destruction_records_of(member.member_id) if r["runId"] == "r3"]
    assert record["kind"] == "sanction_record"
    assert record["subject"] == subject_pseudonym(member.member_id)
    assert record["items"] == ["reason", "startsAt", "endsAt", "liftedAt"]
    again = run_purge(due, dry_run=False, run_id="r4", deadline=deadline)
    assert again.expired_sanction_records == 0


# R-COL-5, R-SEC-1
def test_sanction_records_hold_no_personal_data_beyond_the_member_id(aws_stack) -> None:
    member = make_active_member()
    impose(member.member_id, ABUSE)
    text = json.dumps(scan_all("SANCTIONS_TABLE"), ensure_ascii=False)
    for value in (member.name, member.phone, member.login_id):
        assert value not in text


# R-COL-5
def test_concurrent_lifts_answer_alike_and_reopen_sign_in_once(aws_stack) -> None:
    from partnercenter.sanctions.service import lift_sanction

    member = make_active_member()
    sanction_id = impose(member.member_id, ABUSE).body["sanctionId"]
    rival: list[Any] = []
    Hook(
        "TransactWriteItems",
        lambda: rival.append(lift_sanction(operator(), member.member_id, sanction_id)),
    ).install()

    lifted = lift(member.member_id, sanction_id)

    assert lifted.status == 200, lifted.body
    assert lifted.body["liftedAt"] == rival[0].lifted_at  # the rival's lifting stands
    assert can_sign_in(member)
    assert profile(member).status == 200


# R-COL-5
def test_a_lift_that_loses_a_race_to_a_profile_change_changes_nothing(aws_stack) -> None:
    member = make_active_member()
    sanction_id = impose(member.member_id, ABUSE).body["sanctionId"]

    Hook("TransactWriteItems", lambda: change_profile_elsewhere(member.member_id)).install()
    raced = lift(member.member_id, sanction_id)
    # Only the profile's entry failed: not another lift, so a retry, never a half lift.
    assert (raced.status, raced.body["code"]) == (409, "CONFLICT")
    assert "liftedAt" not in (sanction_row(member.member_id, sanction_id) or {})
    assert not can_sign_in(member)


# R-COL-5
def test_a_sweep_that_loses_a_race_leaves_it_to_the_next_run(aws_stack) -> None:
    member = make_active_member()
    then = datetime.now(UTC) - timedelta(days=3)
    impose_sanction(
        operator(),
        member.member_id,
        SanctionRequest.model_validate({**ABUSE, "endsAt": iso(then + timedelta(hours=1))}),
        now=then,
    )

    Hook("TransactWriteItems", lambda: change_profile_elsewhere(member.member_id)).install()
    assert end_elapsed_sanctions(datetime.now(UTC), lambda: False).ended == 1
    assert not can_sign_in(member)  # not this run
    assert end_elapsed_sanctions(datetime.now(UTC), lambda: False).ended == 1
    assert can_sign_in(member)


# R-RET-8
def test_the_sanction_purge_step_stops_in_time_and_counts_only_what_it_destroyed(
    aws_stack,
) -> None:
    from partnercenter.sanctions.retention import destroy_expired_sanction_records

    member = make_active_member()
    sanction_id = impose(member.member_id, ABUSE).body["sanctionId"]
    lift(member.member_id, sanction_id)
    later = one_year_after(datetime.now(UTC)) + timedelta(days=2)
    now_epoch = int(later.timestamp())

    def run(out_of_time: Any) -> int:
        return destroy_expired_sanction_records(
            now_epoch=now_epoch,
            run_id="step",
            destroyed_at=lambda: later,
            out_of_time=out_of_time,
            dry_run=False,
        )

    assert run(lambda: True) == 0
    assert sanction_row(member.member_id, sanction_id) is not None

    def gone_meanwhile() -> None:  # TTL (or another run) deleted it first
        raw("dynamodb").delete_item(
            TableName=os.environ["SANCTIONS_TABLE"],
            Key={"memberId": {"S": member.member_id}, "sanctionId": {"S": sanction_id}},
        )

    Hook("TransactWriteItems", gone_meanwhile).install()
    assert run(lambda: False) == 0
    assert [r for r in destruction_records_of(member.member_id) if r["runId"] == "step"] == []


def test_a_suspended_member_can_still_exercise_their_privacy_rights(aws_stack) -> None:
    # R-RIGHT-3: the law's rights hold during a suspension; only service use is closed.
    member = make_active_member()
    assert impose(member.member_id, ABUSE).status == 201
    filed = call(
        "rights",
        api_event("rights-file-request", body={"kind": "view"}, claims=member.claims()),
    )
    assert filed.status == 201, filed.body
    listed = call("rights", api_event("rights-list-own-requests", claims=member.claims()))
    assert listed.status == 200
    assert [r["requestId"] for r in listed.body["items"]] == [filed.body["requestId"]]
