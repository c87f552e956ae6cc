"""Policy versions and notices (R-NOT-1): notice periods, upcoming versions, re-consent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from partnercenter.clock import iso
from partnercenter.errors import PolicyConsentRequired
from partnercenter.members.session import current_member
from partnercenter.policy import CURRENT_VERSION, current_version, policy_document, signup_purposes
from partnercenter.policy.versions import KOREA, PolicyVersionRequest, publish_version
from tests.integration.rights_helpers import OPERATOR, OPERATOR_CALLER, Member, active_member
from tests.support import api_event, call, claims_for


def _days_ahead(days: int) -> datetime:
    """Noon (Korean time) ``days`` Korean calendar days from today: exactly that much notice."""
    today = datetime.now(KOREA).date()
    return datetime.combine(today + timedelta(days=days), time(12), tzinfo=KOREA)


def _publish(version: str, days: int, material: bool, claims=OPERATOR):
    body = {
        "version": version,
        "effectiveAt": iso(_days_ahead(days)),
        "material": material,
        "summary": f"Changes in {version}.",
    }
    return call("rights", api_event("admin-publish-policy-version", body=body, claims=claims))


def _in_effect(version: str, material: bool) -> None:
    """A version published 31 days ago with 30 days' notice: in effect since yesterday."""
    published_at = datetime.now(UTC) - timedelta(days=31)
    publish_version(
        OPERATOR_CALLER,
        PolicyVersionRequest(
            version=version,
            effective_at=published_at + timedelta(days=30),
            material=material,
            summary=f"Changes in {version}.",
        ),
        published_at,
    )


def _policy() -> dict:
    result = call("policy", api_event("get-privacy-policy"))
    assert result.status == 200
    return result.body


def _consent(member: Member, version: str):
    return call(
        "profile",
        api_event(
            "post-consents",
            body={"policyVersion": version, "agreed": True},
            claims=member.claims,
        ),
    )


@pytest.mark.parametrize(
    ("days", "material", "status"),
    [(6, False, 400), (7, False, 201), (20, True, 400), (29, True, 400), (30, True, 201)],
)
def test_notice_periods(aws_stack, days, material, status) -> None:
    # R-NOT-1: at least 7 days' notice, 30 for a material change.
    result = _publish("2027-01", days, material)
    assert result.status == status, result.body
    if status == 400:
        assert result.body["code"] == "NOTICE_TOO_SHORT"
    else:
        assert (result.body["noticeDays"], result.body["material"]) == (days, material)


def test_a_version_is_published_once_and_only_by_operators(aws_stack) -> None:
    assert _publish("2027-01", 8, False).status == 201
    again = _publish("2027-01", 40, True)
    assert (again.status, again.body["code"]) == (409, "CONFLICT")
    assert _publish(CURRENT_VERSION, 40, True).status == 409
    assert _publish("2027-02", 40, True, claims=claims_for("member-1")).status == 403


def test_upcoming_versions_show_during_the_notice_period(aws_stack) -> None:
    # R-NOT-1: announced versions are visible before they take effect; the current one stays.
    _publish("2027-03", 40, True)
    _publish("2027-02", 10, False)
    policy = _policy()
    assert policy["version"] == CURRENT_VERSION
    assert [v["version"] for v in policy["upcomingVersions"]] == ["2027-02", "2027-03"]
    assert policy["upcomingVersions"][1]["material"] is True
    assert current_version() == CURRENT_VERSION


def test_once_effective_a_version_is_the_current_one(aws_stack) -> None:
    # R-NOT-1, R-COL-2, R-USE-3: consent names the version in effect; its text (processors
    # included) is the packaged baseline's.
    _in_effect("2026-11-minor", material=False)
    policy = _policy()
    assert (policy["version"], policy["upcomingVersions"]) == ("2026-11-minor", [])
    assert policy["summary"] == "Changes in 2026-11-minor."
    assert policy["processors"] == policy_document(CURRENT_VERSION)["processors"]
    assert current_version() == "2026-11-minor"
    assert signup_purposes("2026-11-minor") == signup_purposes(CURRENT_VERSION)
    with pytest.raises(KeyError):
        policy_document("never-published")


def test_a_minor_change_needs_no_new_agreement(aws_stack) -> None:
    member = active_member()
    _in_effect("2026-11-minor", material=False)
    assert call("rights", api_event("rights-disclosures", claims=member.claims)).status == 200
    old = _consent(member, CURRENT_VERSION)
    assert (old.status, old.body["code"]) == (400, "CONSENT_REQUIRED")  # not current any more


def test_a_material_change_in_effect_gates_member_routes_until_agreed(aws_stack) -> None:
    # R-NOT-1: once effective, a material change must be agreed to before using the portal.
    member = active_member()
    _in_effect("2026-11-material", material=True)
    for function, event in (("rights", "rights-disclosures"), ("profile", "get-profile")):
        refused = call(function, api_event(event, claims=member.claims))
        assert (refused.status, refused.body["code"]) == (403, "POLICY_CONSENT_REQUIRED")
    # Rights the law gives at any time stay open.
    filed = call(
        "rights", api_event("rights-file-request", body={"kind": "view"}, claims=member.claims)
    )
    assert filed.status == 201
    agreed = _consent(member, "2026-11-material")
    assert agreed.status == 200, agreed.body
    assert agreed.body["required"]["policyVersion"] == "2026-11-material"
    assert call("profile", api_event("get-profile", claims=member.claims)).status == 200
    assert call("rights", api_event("rights-disclosures", claims=member.claims)).status == 200


def test_members_who_joined_under_the_new_version_are_not_asked_again(aws_stack) -> None:
    _in_effect("2026-11-material", material=True)
    member = active_member(policy_version="2026-11-material")
    assert call("rights", api_event("rights-disclosures", claims=member.claims)).status == 200


def test_the_gate_follows_an_injected_clock(aws_stack) -> None:
    # R-NOT-1: published 30 days ahead, the gate closes for a clock 31 days later.
    member = active_member()
    assert _publish("2027-material", 30, True).status == 201
    assert current_member(member.caller).member_id == member.member_id
    later = datetime.now(UTC) + timedelta(days=31)
    with pytest.raises(PolicyConsentRequired):
        current_member(member.caller, now=later)
    assert current_member(member.caller, now=later, require_policy_consent=False)
