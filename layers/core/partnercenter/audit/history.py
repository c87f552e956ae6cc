"""A member's own access history (R-SEC-2, R-RIGHT-1): who handled their data and how.

Read from the access records' ``bySubject`` index (the member's pseudonym, newest first). An
entry names the actor's role only: the index does not even project the actor's id or source
IP, and the entry has no field for them, so an operator never appears by name, login or id.
The route that shows it (``members.export``) records each view; see docs/access-history.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from partnercenter.dal import access_records
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.hashing import subject_pseudonym
from partnercenter.models import ApiModel

ROUTE = "GET /members/me/access-history"
ActorRole = Literal["member", "operator", "system"]
_ROLES: tuple[ActorRole, ...] = ("member", "operator", "system")


class AccessEntry(ApiModel):
    at: str
    actor_role: ActorRole
    action: str


class AccessHistory(ApiModel):
    items: list[AccessEntry]
    next_token: str | None = None


def _entry(record: access_records.SubjectAccess) -> AccessEntry:
    # A role this list does not know is shown as the system's, never as who acted.
    role: ActorRole = next((r for r in _ROLES if r == record.actor_role), "system")
    return AccessEntry(at=record.at, actor_role=role, action=record.action)


def history_page(member_id: str, limit: int, next_token: str | None) -> AccessHistory:
    """One page of the member's history, newest first; ``next_token`` as the route issued it
    (sealed to this route and this member: another's or a forged one is a 422)."""
    scope = PageScope(ROUTE, member_id)
    page = access_records.query_by_subject(
        subject_pseudonym(member_id), limit, decode_token(next_token, scope)
    )
    return AccessHistory(
        items=[_entry(r) for r in page.items], next_token=encode_token(page.last_key, scope)
    )


def whole_history(member_id: str, page_size: int = 500) -> Iterator[AccessEntry]:
    """Every entry, newest first, page after page (the export bounds how many it takes)."""
    token: str | None = None
    while True:
        page = history_page(member_id, page_size, token)
        yield from page.items
        if page.next_token is None:
            return
        token = page.next_token
