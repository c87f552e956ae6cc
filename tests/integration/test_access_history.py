"""GET /members/me/access-history and GET /members/me/export: who handled the member's data,
and everything held about them in one document (R-SEC-2, R-RIGHT-1)."""

from __future__ import annotations

import json
from typing import Any

from partnercenter.dal.members import get_member
from partnercenter.hashing import subject_pseudonym
from partnercenter.rights.export import Export, export, wire_bytes
from tests.conftest import AwsStack
from tests.integration.member_steps import OPERATOR, Person, active_member
from tests.integration.rights_helpers import access_records_in_order
from tests.integration.rights_helpers import active_member as stored_member
from tests.support import LambdaContext, api_event, call, claims_for, handler_module

SETTLEMENT = {
    "recipient": "티켓링크 정산팀",
    "purpose": "ticket sales settlement",
    "items": ["name", "phone"],
    "retentionPeriod": "1 year after the settlement",
}


def _history(member_id: str, **query: str) -> Any:
    event = api_event("get-access-history", claims=claims_for(member_id), query=query or None)
    return call("profile", event)


def _export(claims: dict[str, str]) -> Any:
    return call("profile", api_event("get-export", claims=claims))


def _all_pages(member_id: str, limit: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    query = {"limit": limit}
    for _ in range(50):  # bounded: a handful of records, pages of `limit`
        page = _history(member_id, **query)
        assert page.status == 200, page.body
        items.extend(page.body["items"])
        if page.body["nextToken"] is None:
            return items
        query = {"limit": limit, "nextToken": page.body["nextToken"]}
    raise AssertionError("the pages did not end")


def test_the_history_shows_who_handled_the_data_newest_first_operators_by_role(
    aws_stack: AwsStack,
) -> None:
    # R-SEC-2: the member sees every access to their data; an operator by role only.
    member_id = active_member(Person.new(), "history.kim")
    assert call("profile", api_event("get-profile", claims=claims_for(member_id))).status == 200
    result = _history(member_id)
    assert result.status == 200, result.body
    items = result.body["items"]
    assert [(i["actorRole"], i["action"]) for i in items] == [
        ("member", "view_access_history"),  # this very view, recorded before the read
        ("member", "view_profile"),
        ("operator", "approve_signup"),
        ("member", "signup"),
    ]
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
    assert all(set(i) == {"at", "actorRole", "action"} for i in items)
    text = json.dumps(result.body)
    for operator_value in (OPERATOR["sub"], OPERATOR["cognito:username"]):
        assert operator_value not in text
    assert "203.0.113.10" not in text  # nor any source IP
    # The records themselves do name the operator: the history is what hides them.
    [approval] = [r for r in access_records_in_order() if r["action"] == "approve_signup"]
    assert approval["actor"] == OPERATOR["sub"]


def test_a_member_sees_only_their_own_history(aws_stack: AwsStack) -> None:
    # R-SEC-2: by the subject's pseudonym, never another member's records.
    first, second = stored_member(), stored_member()
    assert _history(first.member_id).status == 200
    items = _history(second.member_id).body["items"]
    assert [i["action"] for i in items] == ["view_access_history"]


def test_pages_follow_on_and_foreign_or_forged_tokens_are_refused(aws_stack: AwsStack) -> None:
    # R-SEC-2: the sealed page token resumes only this member's own history.
    member_id = active_member(Person.new(), "history.lee")
    other = stored_member()
    for _ in range(3):
        assert call("profile", api_event("get-profile", claims=claims_for(member_id))).status == 200
    paged = _all_pages(member_id, "2")
    ats = [i["at"] for i in paged]
    assert ats == sorted(ats, reverse=True)
    assert len(set(ats)) == len(ats)  # no entry twice across pages
    assert paged[-1]["action"] == "signup"
    assert [i["action"] for i in paged].count("view_profile") == 3
    token = _history(member_id, limit="1").body["nextToken"]
    assert token
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for refused in (
        _history(member_id, limit="1", nextToken=forged),
        _history(other.member_id, limit="1", nextToken=token),  # another member's token
    ):
        assert (refused.status, refused.body["code"]) == (422, "VALIDATION_FAILED")
        assert refused.body["fields"] == ["nextToken"]


def test_a_token_of_another_route_is_refused(aws_stack: AwsStack) -> None:
    # R-SEC-2: a disclosures token (same member) does not page the history.
    member = stored_member()
    from partnercenter.dal.pagination import PageScope, encode_token
    from partnercenter.rights.provisions import DISCLOSURES_ROUTE

    position = {"subject": {"S": subject_pseudonym(member.member_id)}, "at": {"S": "x"}}
    token = encode_token(position, PageScope(DISCLOSURES_ROUTE, member.member_id))
    refused = _history(member.member_id, nextToken=str(token))
    assert (refused.status, refused.body["code"]) == (422, "VALIDATION_FAILED")


def test_a_sealed_position_outside_the_member_s_history_is_refused(aws_stack: AwsStack) -> None:
    # R-SEC-2: even a token this route sealed resumes only within the member's own subject
    # (real DynamoDB refuses such a start key; moto would answer from it).
    from partnercenter.audit.history import ROUTE
    from partnercenter.dal.pagination import PageScope, encode_token

    member, other = stored_member(), stored_member()
    position = {
        "subject": {"S": subject_pseudonym(other.member_id)},
        "at": {"S": "2026-11-01T00:00:00.000000Z"},
        "chain": {"S": "access#0"},
        "seq": {"N": "1"},
    }
    token = encode_token(position, PageScope(ROUTE, member.member_id))
    refused = _history(member.member_id, nextToken=str(token))
    assert (refused.status, refused.body["code"]) == (422, "VALIDATION_FAILED")


def _member_with_one_of_each() -> Any:
    member = stored_member()
    consent = {**SETTLEMENT, "agreed": True}
    event = api_event("rights-provision-consent", body=consent, claims=member.claims)
    assert call("rights", event).status == 200
    provision = api_event(
        "admin-record-provision",
        body={**SETTLEMENT, "legalBasis": "consent"},
        claims=OPERATOR,
        path_params={"memberId": member.member_id},
    )
    assert call("rights", provision).status == 201
    filing = {"kind": "view", "details": "정산 내역을 보고 싶습니다"}
    event = api_event("rights-file-request", body=filing, claims=member.claims)
    assert call("rights", event).status == 201
    marketing = api_event("post-consents", body={"marketing": True}, claims=member.claims)
    assert call("profile", marketing).status == 200
    return member


def test_the_export_holds_the_profile_and_every_section(aws_stack: AwsStack) -> None:
    # R-RIGHT-1 (열람): everything held about the member, in one document.
    member = _member_with_one_of_each()
    profile = call("profile", api_event("get-profile", claims=member.claims)).body
    result = _export(member.claims)
    assert result.status == 200, result.body
    body = result.body
    assert set(body) == {
        "generatedAt",
        "profile",
        "consents",
        "disclosures",
        "privacyRequests",
        "accessHistory",
        "truncated",
    }
    assert body["profile"] == profile
    assert (body["profile"]["name"], body["profile"]["phone"]) == (member.name, member.phone)
    # Newest first; signup's two decisions share one time (the key then orders them).
    assert [(c["kind"], c["agreed"]) for c in body["consents"]] == [
        ("marketing", True),
        ("required", True),
        ("marketing", False),
    ]
    [disclosure] = body["disclosures"]
    assert (disclosure["recipient"], disclosure["legalBasis"]) == ("티켓링크 정산팀", "consent")
    [request] = body["privacyRequests"]
    assert (request["kind"], request["details"]) == ("view", "정산 내역을 보고 싶습니다")
    roles = {(i["actorRole"], i["action"]) for i in body["accessHistory"]}
    assert ("operator", "record_provision") in roles
    assert ("member", "export") in roles
    assert body["truncated"] == []
    assert OPERATOR["sub"] not in json.dumps(body)


def test_each_export_is_an_access_record(aws_stack: AwsStack) -> None:
    # R-SEC-2: the export is itself recorded: the member, as actor and subject.
    member = stored_member()
    assert _export(member.claims).status == 200
    subject = subject_pseudonym(member.member_id)
    [record] = [
        r for r in access_records_in_order() if r["subject"] == subject and r["action"] == "export"
    ]
    assert (record["actor"], record["actorRole"]) == (member.member_id, "member")


def test_the_export_is_bounded_and_says_which_sections_it_cut(aws_stack: AwsStack) -> None:
    # R-RIGHT-1: within Lambda's 6 MB response, and honest about what it left out.
    member = _member_with_one_of_each()
    profile = get_member(member.member_id)
    assert profile is not None
    whole = export(member.caller, profile)
    assert whole.truncated == []
    # A budget that holds the profile and the consents but nothing more.
    empty = whole.model_copy(
        update={
            "consents": [],
            "privacy_requests": [],
            "disclosures": [],
            "access_history": [],
            "truncated": ["consents", "disclosures", "privacyRequests", "accessHistory"],
        }
    )
    tight = wire_bytes(empty) + sum(wire_bytes(c) + 1 for c in whole.consents)
    cut = export(member.caller, profile, budget=tight)
    assert cut.truncated == ["privacyRequests", "disclosures", "accessHistory"]
    assert cut.consents == whole.consents
    assert (cut.privacy_requests, cut.disclosures, cut.access_history) == ([], [], [])
    assert wire_bytes(cut) <= tight


def test_wire_bytes_counts_the_response_as_lambda_carries_it(aws_stack: AwsStack) -> None:
    # R-RIGHT-1: the bound is measured on what the 6 MB quota counts (never less).
    member = _member_with_one_of_each()
    response = handler_module("profile").lambda_handler(
        api_event("get-export", claims=member.claims), LambdaContext()
    )
    carried = len(json.dumps(response["body"])) - 2  # the body, as the response's JSON holds it
    measured = wire_bytes(Export.model_validate(json.loads(response["body"])))
    assert carried <= measured <= carried * 1.1
