"""The pure parts of the rights slice: notice days, consent gate, objection path, review tallies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from partnercenter.audit.review import _Tally, previous_month
from partnercenter.dal.provisions import ProvisionConsentRecord
from partnercenter.policy import policy_document
from partnercenter.policy.versions import (
    PolicyVersionRequest,
    PublishedVersion,
    notice_days,
    required_notice_days,
    version_to_agree,
)
from partnercenter.rights.provisions import _check_items, _consent_covers
from partnercenter.rights.requests import Answer, ProxyRequestFiling, default_objection_path


def _version(name: str, effective: datetime, material: bool) -> PublishedVersion:
    return PublishedVersion(name, effective, material, "summary", "2026-01-01T00:00:00Z", "x")


# ---------------------------------------------------------------------------- R-NOT-1
def test_notice_is_counted_in_korean_calendar_days() -> None:
    # R-NOT-1: 23:59 KST on the 24th to 00:00 KST on 1 December is 7 days; a minute later, 6.
    effective = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 2026-12-01 00:00 KST
    assert notice_days(datetime(2026, 11, 24, 14, 59, tzinfo=UTC), effective) == 7
    assert notice_days(datetime(2026, 11, 24, 15, 0, tzinfo=UTC), effective) == 6


def test_required_notice_comes_from_the_policy() -> None:
    # R-NOT-1: 7 days, 30 for a material change (the policy's noticeDays).
    assert (required_notice_days(False), required_notice_days(True)) == (7, 30)


def test_a_material_version_in_effect_needs_agreement() -> None:
    # R-NOT-1: after its effective date a material version must be agreed to.
    now = datetime(2027, 3, 1, tzinfo=UTC)
    material = _version("2027-02", now - timedelta(days=1), True)
    minor = _version("2027-02-b", now - timedelta(hours=1), False)
    upcoming = _version("2027-04", now + timedelta(days=30), True)
    versions = [upcoming, minor, material]  # latest effective first, as stored
    assert version_to_agree("2018-03-23", now, versions) == "2027-02"
    assert version_to_agree("2027-02", now, versions) is None
    assert version_to_agree("2027-02-b", now, versions) is None  # a later version covers it
    assert version_to_agree(None, now, versions) == "2027-02"
    assert version_to_agree("2018-03-23", now, [upcoming, minor]) is None  # nothing material yet
    assert version_to_agree("2018-03-23", now - timedelta(days=2), versions) is None


def test_a_version_names_and_dates_itself_properly() -> None:
    with pytest.raises(ValidationError):
        PolicyVersionRequest.model_validate(
            {
                "version": "v/1",
                "effectiveAt": "2027-01-01T00:00:00Z",
                "material": True,
                "summary": "s",
            }
        )
    with pytest.raises(ValidationError):  # a time without a zone is ambiguous
        PolicyVersionRequest.model_validate(
            {
                "version": "v1",
                "effectiveAt": "2027-01-01T00:00:00",
                "material": True,
                "summary": "s",
            }
        )


# ---------------------------------------------------------------------------- R-RIGHT-3/4, R-CPO-1
def test_the_default_objection_path_names_the_officer_and_reporting_bodies() -> None:
    # R-RIGHT-3, R-CPO-1: how to object, from the published contacts.
    path = default_objection_path()
    for body in policy_document()["reportingBodies"]:
        assert body["phone"] in path
    assert policy_document()["privacyOfficer"]["email"] in path
    assert "KISA" in path


def test_answers_and_proxies_are_shaped_strictly() -> None:
    # R-RIGHT-4: a proxy's filing needs at least one piece of evidence of a known kind.
    with pytest.raises(ValidationError):
        ProxyRequestFiling.model_validate(
            {"memberId": "m", "kind": "view", "proxy": {"evidence": []}}
        )
    with pytest.raises(ValidationError):
        Answer.model_validate({"outcome": "ignored"})
    assert Answer.model_validate({"outcome": "done"}).reason is None


# ---------------------------------------------------------------------------- R-USE-2
def test_only_items_the_policy_collects_can_be_provided() -> None:
    # R-USE-2 with R-USE-1: nothing beyond the policy's collected items.
    assert _check_items(["phone", "name", "phone"]) == ["name", "phone"]
    with pytest.raises(Exception, match="items"):
        _check_items(["residentNumber"])


def test_a_consent_covers_its_recipient_purpose_items_and_period() -> None:
    # R-USE-2: the four things a consent names.
    consent = ProvisionConsentRecord("m-1", "A", "p", ("name", "phone"), "1y", True, "t")
    assert _consent_covers(consent, ("phone",), "1y")
    assert not _consent_covers(consent, ("loginId",), "1y")
    assert not _consent_covers(consent, ("phone",), "2y")
    assert not _consent_covers(replace(consent, agreed=False), ("phone",), "1y")
    assert not _consent_covers(None, ("phone",), "1y")


# ---------------------------------------------------------------------------- R-SEC-2
def test_previous_month_handles_the_year_boundary() -> None:
    assert previous_month(datetime(2027, 1, 1, tzinfo=UTC)) == (
        "2026-12",
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    assert previous_month(datetime(2026, 3, 15, 8, tzinfo=UTC))[0] == "2026-02"


def test_a_tally_flags_days_above_the_threshold_only() -> None:
    # R-SEC-2: more than the threshold of members in one day is unusual; exactly it is not.
    tally = _Tally("operator")
    for i in range(3):
        tally.by_day["2026-11-02"].add(f"s{i}")
    for i in range(2):
        tally.by_day["2026-11-03"].add(f"s{i}")
    activity = tally.activity("op-1", threshold=2)
    assert (activity.flagged_days, activity.busiest_day, activity.busiest_day_members) == (
        ["2026-11-02"],
        "2026-11-02",
        3,
    )
    assert tally.activity("op-1", threshold=3).flagged is False
