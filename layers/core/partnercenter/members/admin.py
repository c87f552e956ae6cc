"""What operators see of members: the pending-approval queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from partnercenter.audit.access_records import record_access
from partnercenter.clock import iso, utc_now
from partnercenter.dal import members as members_dal
from partnercenter.dal import retained_phones
from partnercenter.dal.members import PENDING_APPROVAL
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.members.vault import member_cipher
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer

MemberStatus = Literal["pending_approval", "active"]


class MemberListItem(ApiModel):
    member_id: str
    login_id: str | None = Field(description="None only if the member's key was shredded.")
    requested_at: str
    retained_phone_within_year: bool | None = Field(
        default=None,
        description=(
            "Pending signups only, for fraud prevention only (R-RET-2, R-RET-5): whether the "
            "same phone is in separated storage after a withdrawal."
        ),
    )


class MemberList(ApiModel):
    items: list[MemberListItem]
    next_token: str | None = None


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def list_members(
    operator: Caller, status: MemberStatus, limit: int, next_token: str | None
) -> MemberList:
    scope = PageScope("GET /admin/members", operator.member_id, {"status": status})
    page = members_dal.query_by_status(status, limit, decode_token(next_token, scope))
    # The fraud-prevention hold keeps a withdrawn phone for one year (R-RET-2).
    a_year_ago = iso(utc_now() - timedelta(days=365))
    items = []
    for member in page.listings:
        cipher = member_cipher(member.member_id)
        login_id = cipher.open("loginId", member.login_id_enc) if cipher else None
        # Showing a login ID is an access to personal data (R-SEC-2).
        record_access(
            actor=operator.member_id,
            actor_role="operator",
            member_id=member.member_id,
            action="list_members",
            source_ip=operator.source_ip,
        )
        retained = None
        if status == PENDING_APPROVAL and member.phone_hash:
            retained = retained_phones.is_retained(member.phone_hash, a_year_ago)
        items.append(
            MemberListItem(
                member_id=member.member_id,
                login_id=login_id,
                requested_at=member.requested_at,
                retained_phone_within_year=retained,
            )
        )
    return MemberList(items=items, next_token=encode_token(page.last_key, scope))
