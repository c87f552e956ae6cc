"""Route gates declared once (api.member_route): usage recorded on every member route."""

from __future__ import annotations

from typing import Any

from partnercenter.dal.codec import from_item
from tests.integration.retention_support import make_active_member, scan_all, withdraw
from tests.support import api_event, call


def _usage_routes(member_id: str) -> list[str]:
    return [
        r["route"]
        for r in map(from_item, scan_all("USAGE_RECORDS_TABLE"))
        if r["memberId"] == member_id
    ]


# R-COL-5: the two member routes that recorded no usage before their gate was declared.
def test_withdrawal_and_a_members_verification_start_leave_usage_records(aws_stack: Any) -> None:
    member = make_active_member()
    started = call(
        "identity_verification",
        api_event("member-identity-verification-start", claims=member.claims(), body={}),
    )
    assert started.status == 201, started.body
    assert withdraw(member).status == 200
    assert withdraw(member).status == 200  # the repeat is answered, and recorded too
    assert sorted(_usage_routes(member.member_id)) == [
        "POST /members/me/identity-verifications",
        "POST /members/me/withdrawal",
        "POST /members/me/withdrawal",
    ]
