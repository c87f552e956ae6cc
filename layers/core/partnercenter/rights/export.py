"""What a member sees of what is held about them (R-RIGHT-1 열람, R-SEC-2): their access
history, and everything in one machine-readable export.

Each section is read through the code path of the route that shows it on its own (the profile
is exactly ``GET /members/me``'s), so the export shows nothing those routes would not. The
export is bounded to fit Lambda's 6 MB response: each section keeps its newest items up to a
count, and all of them together up to a byte budget measured as the response carries them;
a section cut short is named in ``truncated`` (docs/access-history.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, Field

from partnercenter.audit.access_records import record_own_access
from partnercenter.audit.history import AccessEntry, AccessHistory, history_page, whole_history
from partnercenter.clock import iso, utc_now
from partnercenter.dal import members as members_dal
from partnercenter.dal.members import MemberRecord
from partnercenter.members.profile import Profile, view_profile
from partnercenter.models import ApiModel
from partnercenter.rights.provisions import Provision, provisions_of
from partnercenter.rights.requests import PrivacyRequest, list_own_requests

if TYPE_CHECKING:
    from partnercenter.models import Caller

VIEW_HISTORY = "view_access_history"
EXPORT = "export"
MAX_RESPONSE_BYTES = 6_291_456  # Lambda's synchronous response quota
# What the body may take: the rest is the response's envelope (status, headers) and slack.
BODY_BUDGET = 6_000_000
# Newest first, at most this many per section (each far above what a member accumulates).
CONSENTS_MAX = 1_000
REQUESTS_MAX = 500
DISCLOSURES_MAX = 1_000
HISTORY_MAX = 20_000
_PAGE = 100

M = TypeVar("M", bound=BaseModel)


class ConsentEntry(ApiModel):
    """One consent decision as it was given (R-COL-2)."""

    kind: str
    agreed: bool
    policy_version: str
    items: list[str]
    purposes: list[str]
    channel: str
    at: str


class Export(ApiModel):
    generated_at: str
    profile: Profile
    consents: list[ConsentEntry]
    disclosures: list[Provision]
    privacy_requests: list[PrivacyRequest]
    access_history: list[AccessEntry]
    truncated: list[str] = Field(
        default_factory=list,
        description="Sections cut at their bound (their newest items are kept).",
    )


def own_access_history(caller: Caller, limit: int, next_token: str | None) -> AccessHistory:
    """``GET /members/me/access-history``: open at any time, like the other rights (R-RIGHT-1);
    the view is recorded before anything is read (R-SEC-2)."""
    record_own_access(caller, VIEW_HISTORY)
    return history_page(caller.member_id, limit, next_token)


def wire_bytes(model: BaseModel) -> int:
    """Bytes ``model`` takes in the Lambda response: its JSON (ASCII-escaped, as the resolver
    writes it), escaped once more as the response's ``body`` string."""
    text = json.dumps(model.model_dump(mode="json", by_alias=True), separators=(",", ":"))
    return len(json.dumps(text)) - 2


@dataclass
class _Cut:
    left: int
    sections: list[str]

    def take(self, name: str, items: Iterable[M], bound: int) -> list[M]:
        """The items, in order, while within ``bound`` and the byte budget; the first one
        refused names the section as cut short and stops the reading."""
        taken: list[M] = []
        for item in items:
            cost = wire_bytes(item) + 1  # and its comma
            if len(taken) == bound or cost > self.left:
                self.sections.append(name)
                break
            self.left -= cost
            taken.append(item)
        return taken


def _consents(member_id: str) -> Iterator[ConsentEntry]:
    for record in members_dal.consent_history(member_id, CONSENTS_MAX + 1):
        yield ConsentEntry(
            kind=record.kind,
            agreed=record.agreed,
            policy_version=record.policy_version,
            items=list(record.items),
            purposes=list(record.purposes),
            channel=record.channel,
            at=record.at,
        )


def _requests(caller: Caller, now: datetime) -> Iterator[PrivacyRequest]:
    token: str | None = None
    while True:
        page = list_own_requests(caller, _PAGE, token, now)
        yield from page.items
        if page.next_token is None:
            return
        token = page.next_token


def _disclosures(member_id: str) -> Iterator[Provision]:
    token: str | None = None
    while True:
        page = provisions_of(member_id, _PAGE, token)
        yield from page.items
        if page.next_token is None:
            return
        token = page.next_token


def export(caller: Caller, member: MemberRecord, budget: int = BODY_BUDGET) -> Export:
    """``GET /members/me/export``: the profile as ``GET /members/me`` gives it (and as that
    route gates it), then the export's own access record, then each section newest first."""
    now = utc_now()
    profile = view_profile(caller, member)
    record_own_access(caller, EXPORT)
    shell = Export(
        generated_at=iso(now),
        profile=profile,
        consents=[],
        disclosures=[],
        privacy_requests=[],
        access_history=[],
        truncated=["consents", "disclosures", "privacyRequests", "accessHistory"],
    )
    cut = _Cut(budget - wire_bytes(shell), [])
    member_id = caller.member_id
    consents = cut.take("consents", _consents(member_id), CONSENTS_MAX)
    requests = cut.take("privacyRequests", _requests(caller, now), REQUESTS_MAX)
    disclosures = cut.take("disclosures", _disclosures(member_id), DISCLOSURES_MAX)
    history = cut.take("accessHistory", whole_history(member_id), HISTORY_MAX)
    return shell.model_copy(
        update={
            "consents": consents,
            "disclosures": disclosures,
            "privacy_requests": requests,
            "access_history": history,
            "truncated": cut.sections,
        }
    )
