"""Announcements on the policy page: notices whose announcement period runs (R-NOT-2: a business
transfer stays announced at least 30 days; other notices may be announced too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partnercenter.clock import iso
from partnercenter.dal import notices as notices_dal
from partnercenter.models import ApiModel
from partnercenter.observability import tracer
from partnercenter.policy.versions import policy_as_published

MAX_ANNOUNCEMENTS = 50


class Announcement(ApiModel):
    notice_id: str
    kind: str
    subject: str
    body: str
    announced_at: str
    announce_until: str


def announcements(now: datetime) -> list[Announcement]:
    """What is announced at ``now``, the longest-standing first."""
    if not notices_dal.configured():
        return []
    notices = notices_dal.announced(iso(now), MAX_ANNOUNCEMENTS)
    return sorted(
        (
            Announcement(
                notice_id=notice.notice_id,
                kind=notice.kind,
                subject=notice.subject,
                body=notice.body,
                announced_at=notice.created_at,
                announce_until=notice.announce_until,
            )
            for notice in notices
        ),
        key=lambda a: a.announced_at,
    )


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def privacy_policy_page(now: datetime, language: str = "en") -> dict[str, Any]:
    """``GET /privacy-policy``: the policy as published, with the running announcements."""
    page = policy_as_published(now, language)
    page["announcements"] = [a.model_dump(by_alias=True) for a in announcements(now)]
    return page
