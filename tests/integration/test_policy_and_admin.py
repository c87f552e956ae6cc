"""GET /privacy-policy and the operator's pending queue, against moto built from the template."""

from datetime import UTC, datetime

import pytest

from partnercenter.audit.access_records import Break, verify_chain
from partnercenter.audit.anchors import write_anchor
from tests.integration.member_steps import pending_member
from tests.support import api_event, call, claims_for

OPERATOR = claims_for("op-1", groups=("privacy-admin",))


def test_privacy_policy_is_public_and_lists_kmc(aws_stack) -> None:
    # R-USE-3, R-CPO-1: the entrusted processor and the contacts are published.
    result = call("policy", api_event("get-privacy-policy"))
    assert result.status == 200
    assert any("KMC" in p["name"] for p in result.body["processors"])
    assert result.body["version"]
    assert result.body["effectiveAt"].endswith("Z")


@pytest.mark.parametrize(
    ("query", "headers", "expected"),
    [
        ({"lang": "ko"}, {}, "ko"),
        ({"lang": "en"}, {"Accept-Language": "ko"}, "en"),
        (None, {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}, "ko"),
        (None, {}, "en"),
    ],
)
def test_privacy_policy_in_korean_and_english(aws_stack, query, headers, expected) -> None:
    # R-CPO-1: the Korean original and the English rendering, the same document either way.
    english = call("policy", api_event("get-privacy-policy")).body
    result = call("policy", api_event("get-privacy-policy", query=query, headers=headers))
    assert (result.status, result.body["language"]) == (200, expected)
    if expected == "ko":
        text = result.body.pop("text")
        assert text.count("개인정보") > 10  # the published policy, whole
        assert "한국모바일인증" in text  # KMC, as the document lists it
    assert "text" not in result.body
    assert {**result.body, "language": "en"} == english


def test_an_unknown_language_is_named(aws_stack) -> None:
    result = call("policy", api_event("get-privacy-policy", query={"lang": "fr"}))
    assert (result.status, result.body["code"], result.body["fields"]) == (
        422,
        "VALIDATION_FAILED",
        ["lang"],
    )


def test_pending_queue_pages_oldest_first_with_login_ids(aws_stack) -> None:
    ids = [pending_member(i) for i in range(3)]
    first = call("admin", api_event("admin-list-members", claims=OPERATOR, query={"limit": "2"}))
    assert first.status == 200
    assert [i["memberId"] for i in first.body["items"]] == ids[:2]
    assert first.body["items"][0]["loginId"] == "manager00"
    second = call(
        "admin",
        api_event(
            "admin-list-members",
            claims=OPERATOR,
            query={"limit": "2", "nextToken": first.body["nextToken"]},
        ),
    )
    assert [i["memberId"] for i in second.body["items"]] == ids[2:]
    assert second.body["nextToken"] is None


def test_showing_login_ids_is_recorded_and_the_chain_verifies(aws_stack) -> None:
    # R-SEC-2: every operator view of personal data leaves an access record, chained.
    pending_member(1)
    pending_member(2)
    call("admin", api_event("admin-list-members", claims=OPERATOR))
    report = verify_chain()
    assert (report.intact, report.records) == (True, 2)


def test_altered_access_record_breaks_the_chain(aws_stack) -> None:
    # R-SEC-2: tamper-evident - changing one record's action is detected at that record.
    for i in range(3):
        pending_member(i)
    call("admin", api_event("admin-list-members", claims=OPERATOR))
    [shown, *_] = _records()
    aws_stack.client("dynamodb").update_item(
        TableName=aws_stack.physical_id("AccessRecordsTable"),
        Key={"chain": {"S": shown["chain"]}, "seq": {"N": str(shown["seq"])}},
        UpdateExpression="SET #a = :a",
        ExpressionAttributeNames={"#a": "action"},
        ExpressionAttributeValues={":a": {"S": "nothing_to_see"}},
    )
    report = verify_chain()
    assert report.breaks == (Break(shown["chain"], shown["seq"], "altered"),)


def test_removed_access_record_breaks_the_chain(aws_stack) -> None:
    # R-SEC-2: once anchored (hourly), removing even the newest record shows.
    for i in range(3):
        pending_member(i)
    call("admin", api_event("admin-list-members", claims=OPERATOR))
    write_anchor(datetime.now(UTC))
    *_, newest = _records()
    aws_stack.client("dynamodb").delete_item(
        TableName=aws_stack.physical_id("AccessRecordsTable"),
        Key={"chain": {"S": newest["chain"]}, "seq": {"N": str(newest["seq"])}},
    )
    assert verify_chain().breaks == (Break(newest["chain"], newest["seq"], "missing"),)


def _records() -> list[dict]:
    from tests.integration.rights_helpers import access_records_in_order

    records = access_records_in_order()
    assert len(records) == 3
    return records


@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        (None, 401, "UNAUTHORIZED"),
        (claims_for("member-1"), 403, "FORBIDDEN"),
    ],
)
def test_pending_queue_is_for_operators_only(aws_stack, claims, status, code) -> None:
    event = api_event("admin-list-members", claims=claims or {})
    result = call("admin", event)
    assert (result.status, result.body["code"]) == (status, code)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "nonsense"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"nextToken": "%%"}, "nextToken"),
    ],
)
def test_bad_queue_parameters_are_named(aws_stack, query, field) -> None:
    result = call("admin", api_event("admin-list-members", claims=OPERATOR, query=query))
    assert result.status == 422
    assert result.body["code"] == "VALIDATION_FAILED"
    assert field in result.body["fields"]
