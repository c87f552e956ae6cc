"""The operator's list of a member's sanction records (R-COL-5, R-RET-8), kept ones only.

A sanction record is the member's data (what they were suspended for and when): each list is
an access record (R-SEC-2). Records outlive a withdrawal for their own retention period, so a
withdrawn member's list answers too.
"""

from __future__ import annotations

from partnercenter.audit.access_records import record_access
from partnercenter.clock import utc_now
from partnercenter.dal.members import has_profile
from partnercenter.errors import NotFound
from partnercenter.models import ApiModel, Caller
from partnercenter.sanctions.service import Sanction, sanctions_of

LIST_ACTION = "list_sanctions"


class SanctionList(ApiModel):
    items: list[Sanction]


def list_sanctions(operator: Caller, member_id: str) -> SanctionList:
    """The member's sanction records, oldest first; 404 for a member with neither."""
    sanctions = sanctions_of(member_id, utc_now())
    if not sanctions and not has_profile(member_id):
        raise NotFound("No member or sanction record with this id.")
    record_access(
        actor=operator.member_id,
        actor_role="operator",
        member_id=member_id,
        action=LIST_ACTION,
        source_ip=operator.source_ip,
    )
    return SanctionList(items=sanctions)
