"""The third-party provision ledger (R-USE-2): consent basis, exceptions, members' disclosures."""

from __future__ import annotations

import pytest

from partnercenter.dal import provisions as provisions_dal
from partnercenter.dal.provisions import ProvisionRecord
from partnercenter.dal.transactions import Transaction, TransactionCancelled
from tests.integration.rights_helpers import OPERATOR, Member, access_actions, active_member
from tests.support import api_event, call

SETTLEMENT = {
    "recipient": "Melon Ticket Settlement Co.",
    "purpose": "ticket sales settlement",
    "items": ["name", "phone"],
    "retentionPeriod": "1 year after the settlement",
}


def _provide(member_id: str, legal_basis: str = "consent", **changes):
    body = {**SETTLEMENT, "legalBasis": legal_basis, **changes}
    return call(
        "rights",
        api_event(
            "admin-record-provision",
            body=body,
            claims=OPERATOR,
            path_params={"memberId": member_id},
        ),
    )


def _consent(member: Member, agreed: bool = True, **changes):
    body = {**SETTLEMENT, "agreed": agreed, **changes}
    return call("rights", api_event("rights-provision-consent", body=body, claims=member.claims))


def _disclosures(member: Member) -> list[dict]:
    result = call("rights", api_event("rights-disclosures", claims=member.claims))
    assert result.status == 200
    return result.body["items"]


def test_consent_basis_without_consent_is_refused_and_nothing_recorded(aws_stack) -> None:
    # R-USE-2: provision needs the member's consent to recipient, purpose, items, period.
    member = active_member()
    refused = _provide(member.member_id)
    assert (refused.status, refused.body["code"]) == (409, "PROVISION_CONSENT_MISSING")
    assert _disclosures(member) == []


def test_with_consent_the_provision_is_recorded_and_the_member_sees_it(aws_stack) -> None:
    # R-USE-2: every provision is recorded; the member sees their own.
    member = active_member()
    consent = _consent(member)
    assert consent.status == 200
    assert consent.body["agreed"] is True
    recorded = _provide(member.member_id)
    assert recorded.status == 201, recorded.body
    assert recorded.body["consentAt"] == consent.body["at"]
    disclosures = _disclosures(member)
    assert [d["provisionId"] for d in disclosures] == [recorded.body["provisionId"]]
    assert disclosures[0]["recipient"] == SETTLEMENT["recipient"]
    assert disclosures[0]["legalBasis"] == "consent"
    # R-SEC-2: recording a provision of the member's data is an access by the operator.
    assert "record_provision" in access_actions(member.member_id)


def test_withdrawn_consent_refuses_later_provisions(aws_stack) -> None:
    member = active_member()
    _consent(member)
    assert _provide(member.member_id).status == 201
    assert _consent(member, agreed=False).status == 200
    assert _provide(member.member_id).status == 409
    assert len(_disclosures(member)) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"items": ["name", "phone", "loginId"]},  # more items than agreed
        {"retentionPeriod": "5 years"},  # another period
        {"purpose": "marketing"},  # another purpose
        {"recipient": "Another Co."},  # another recipient
    ],
)
def test_consent_covers_only_what_was_agreed(aws_stack, changes) -> None:
    # R-USE-2: recipient, purpose, items and retention period are all part of the consent.
    member = active_member()
    _consent(member)
    assert _provide(member.member_id, **changes).status == 409


def test_consent_given_for_more_items_covers_fewer(aws_stack) -> None:
    member = active_member()
    _consent(member, items=["name", "phone", "loginId"])
    assert _provide(member.member_id, items=["phone"]).status == 201


def test_consent_changed_after_the_read_still_refuses(aws_stack) -> None:
    # R-USE-2: the provision commits only if the consent is unchanged (no read-then-write race).
    member = active_member()
    _consent(member)
    read = provisions_dal.get_consent(
        member.member_id, SETTLEMENT["recipient"], SETTLEMENT["purpose"]
    )
    assert read is not None
    _consent(member, agreed=False)
    provision = ProvisionRecord(
        member_id=member.member_id,
        provision_id="x",
        recipient=SETTLEMENT["recipient"],
        purpose=SETTLEMENT["purpose"],
        items=("name",),
        retention_period=SETTLEMENT["retentionPeriod"],
        legal_basis="consent",
        provided_at="2026-01-01T00:00:00Z",
    )
    transaction = (
        Transaction()
        .add(
            "consent",
            provisions_dal.agreement_unchanged(read, ("name",), SETTLEMENT["retentionPeriod"]),
        )
        .add("provision", provisions_dal.provision_entry(provision))
    )
    with pytest.raises(TransactionCancelled) as cancelled:
        transaction.commit()
    assert cancelled.value.failed("consent")
    assert not cancelled.value.failed("provision")
    assert _disclosures(member) == []


def test_fee_settlement_and_statutes_need_no_consent(aws_stack) -> None:
    # R-USE-2: the exceptions - fee settlement, a statute that requires it - are still recorded.
    member = active_member()
    settled = _provide(member.member_id, "fee_settlement")
    assert settled.status == 201
    no_statute = _provide(member.member_id, "statute")
    assert (no_statute.status, no_statute.body["fields"]) == (422, ["statute"])
    stray_statute = _provide(member.member_id, "fee_settlement", statute="X")
    assert stray_statute.status == 422
    by_law = _provide(member.member_id, "statute", statute="국세기본법 제85조의3")
    assert by_law.status == 201
    assert by_law.body["statute"] == "국세기본법 제85조의3"
    assert {d["legalBasis"] for d in _disclosures(member)} == {"fee_settlement", "statute"}


def test_disclosures_page_newest_first(aws_stack) -> None:
    member = active_member()
    ids = [_provide(member.member_id, "fee_settlement").body["provisionId"] for _ in range(3)]
    first = call(
        "rights", api_event("rights-disclosures", claims=member.claims, query={"limit": "2"})
    )
    second = call(
        "rights",
        api_event(
            "rights-disclosures",
            claims=member.claims,
            query={"limit": "2", "nextToken": first.body["nextToken"]},
        ),
    )
    seen = [d["provisionId"] for d in first.body["items"] + second.body["items"]]
    assert sorted(seen) == sorted(ids)


def test_unknown_items_and_members_are_refused(aws_stack) -> None:
    member = active_member()
    unknown_item = _provide(member.member_id, "fee_settlement", items=["residentNumber"])
    assert (unknown_item.status, unknown_item.body["fields"]) == (422, ["items"])
    assert _consent(member, items=["healthRecords"]).status == 422
    assert _provide("no-such-member", "fee_settlement").status == 404


def test_a_view_answer_lists_the_provisions(aws_stack) -> None:
    # R-RIGHT-3 with R-USE-2: viewing one's data includes who received it.
    member = active_member()
    _provide(member.member_id, "fee_settlement")
    filed = call(
        "rights", api_event("rights-file-request", body={"kind": "view"}, claims=member.claims)
    )
    done = call(
        "rights",
        api_event(
            "admin-answer-privacy-request",
            body={"outcome": "done"},
            claims=OPERATOR,
            path_params={"requestId": filed.body["requestId"]},
        ),
    )
    assert [p["recipient"] for p in done.body["disclosure"]["provisions"]] == [
        SETTLEMENT["recipient"]
    ]
