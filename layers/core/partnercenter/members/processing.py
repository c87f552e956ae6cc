"""The processing suspension's gate (처리정지, R-RIGHT-3): optional uses of a suspended member's
data are refused; what the law requires or allows without consent goes on.

Optional, in this system: third-party provision on the member's consent (R-USE-2) and
marketing (R-ADV-1). Not optional: fee settlement, provisions a statute requires, and every
notice kind the notices function sends (policy changes, business transfers, breaches: each one
the law makes mandatory), so none of these consult the suspension.
"""

from __future__ import annotations

from partnercenter.dal.members import MemberRecord
from partnercenter.errors import ProcessingSuspended


def refuse_if_processing_suspended(member: MemberRecord) -> None:
    """Refuse an optional use of the member (their profile as the route read it)."""
    if member.processing_suspension is not None:
        raise ProcessingSuspended()
