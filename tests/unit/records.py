"""Typed records for unit tests that need one without AWS."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from partnercenter.dal.members import (
    PENDING_APPROVAL,
    MarketingConsent,
    MemberConsents,
    MemberRecord,
    RequiredConsent,
)


def a_member_record(**changes: Any) -> MemberRecord:
    record = MemberRecord(
        member_id="m-1",
        status=PENDING_APPROVAL,
        version=4,
        requested_at="2026-11-24T00:00:00Z",
        name_enc="n",
        phone_enc="p",
        login_id_enc="l",
        login_id_hash="lh",
        person_hash="ph",
        phone_hash="hh",
        vendor="kmc",
        verified_at="2026-11-24T00:00:00Z",
        consents=MemberConsents(
            required=RequiredConsent("2018-03-23", "2026-11-24T00:00:00Z", "web"),
            marketing=MarketingConsent(False, "2026-11-24T00:00:00Z", "web"),
        ),
    )
    return replace(record, **changes)
