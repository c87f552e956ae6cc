"""Publishing privacy-policy versions with due notice, and what follows once they are effective.

R-NOT-1: a change is announced at least 7 days before it takes effect, 30 for a material change
(the days are calendar days in Korea, from the day of publication to the effective date). During
the notice period ``GET /privacy-policy`` lists the version as upcoming. Once a material version
is effective, members who have not agreed to it (or to a later version) are refused on member
routes until they do (``members.session.current_member``).

A published version carries its summary and whether it is material; its text is the packaged
document of the same version if one ships with the code, else the packaged baseline's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AwareDatetime, StringConstraints

from partnercenter.clock import iso, parse_iso
from partnercenter.dal import policy_versions as versions_dal
from partnercenter.dal.policy_versions import PolicyVersionRecord
from partnercenter.errors import Conflict, NoticeTooShort
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer
from partnercenter.policy import CURRENT_VERSION, korean_original, packaged_document

KOREA = timezone(timedelta(hours=9), "KST")  # no daylight saving time in Korea


@dataclass(frozen=True)
class PublishedVersion:
    version: str
    effective_at: datetime
    material: bool
    summary: str
    published_at: str
    document: str  # the packaged version whose text applies


def _version(record: PolicyVersionRecord) -> PublishedVersion:
    return PublishedVersion(
        version=record.version,
        effective_at=parse_iso(record.effective_at),
        material=record.material,
        summary=record.summary,
        published_at=record.published_at,
        document=record.document,
    )


def published_versions(*, fresh: bool = False) -> list[PublishedVersion]:
    """Every published version, latest effective date first."""
    return [_version(record) for record in versions_dal.published(fresh=fresh)]


def effective_version(
    now: datetime, versions: list[PublishedVersion] | None = None
) -> PublishedVersion | None:
    """The published version in effect at ``now``, or None while the baseline still is."""
    for version in published_versions() if versions is None else versions:
        if version.effective_at <= now:
            return version
    return None


def published_document(version: str) -> dict[str, Any] | None:
    """The policy document of a published version, or None if it was never published."""
    for published in published_versions():
        if published.version == version:
            return _document(published)
    return None


def _document(published: PublishedVersion) -> dict[str, Any]:
    base = packaged_document(published.document) or packaged_document(CURRENT_VERSION) or {}
    return {
        **base,
        "version": published.version,
        "effectiveAt": iso(published.effective_at),
        "material": published.material,
        "summary": published.summary,
        "publishedAt": published.published_at,
    }


class UpcomingVersion(ApiModel):
    version: str
    effective_at: str
    material: bool
    summary: str
    published_at: str


def _upcoming(published: PublishedVersion) -> UpcomingVersion:
    return UpcomingVersion(
        version=published.version,
        effective_at=iso(published.effective_at),
        material=published.material,
        summary=published.summary,
        published_at=published.published_at,
    )


def policy_as_published(now: datetime, language: str = "en") -> dict[str, Any]:
    """``GET /privacy-policy``: the version in effect, and those announced, not yet effective.
    In English the document is the rendering; in Korean it also carries the original text.
    Read fresh, not from the container's minute-old list: a notice period counts from the
    publication, so the public notice shows a new version at once (R-NOT-1)."""
    versions = published_versions(fresh=True)
    effective = effective_version(now, versions)
    document = _document(effective) if effective else dict(packaged_document(CURRENT_VERSION) or {})
    document["language"] = language
    if language == "ko":
        document["text"] = korean_original(effective.document if effective else CURRENT_VERSION)
    upcoming = sorted((v for v in versions if v.effective_at > now), key=lambda v: v.effective_at)
    document["upcomingVersions"] = [_upcoming(v).model_dump(by_alias=True) for v in upcoming]
    return document


def version_to_agree(
    agreed_version: str | None, now: datetime, versions: list[PublishedVersion] | None = None
) -> str | None:
    """The material version in effect that the member has not agreed to, if any.

    Agreeing to a later version (effective no earlier than the material one) covers it too.
    """
    versions = published_versions() if versions is None else versions
    material = next((v for v in versions if v.material and v.effective_at <= now), None)
    if material is None:
        return None
    agreed = next((v for v in versions if v.version == agreed_version), None)
    if agreed is not None and agreed.effective_at >= material.effective_at:
        return None
    return material.version


# ---------------------------------------------------------------------------- publishing
class PolicyVersionRequest(ApiModel):
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")]
    effective_at: AwareDatetime
    material: bool
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class PolicyVersion(UpcomingVersion):
    notice_days: int


def notice_days(published_at: datetime, effective_at: datetime) -> int:
    """Calendar days (Korean dates) from the day of publication to the effective date."""
    return (effective_at.astimezone(KOREA).date() - published_at.astimezone(KOREA).date()).days


def required_notice_days(material: bool) -> int:
    notice = (packaged_document(CURRENT_VERSION) or {}).get("noticeDays", {})
    return int(notice.get("materialChange", 30) if material else notice.get("change", 7))


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def publish_version(
    operator: Caller, request: PolicyVersionRequest, now: datetime
) -> PolicyVersion:
    """Announce a version; refused with NOTICE_TOO_SHORT unless it gives R-NOT-1's notice."""
    days = notice_days(now, request.effective_at)
    if days < required_notice_days(request.material):
        raise NoticeTooShort()
    if request.version == CURRENT_VERSION:
        raise Conflict("That version is the packaged baseline; name the new version.")
    published = PolicyVersion(
        version=request.version,
        effective_at=iso(request.effective_at),
        material=request.material,
        summary=request.summary,
        published_at=iso(now),
        notice_days=days,
    )
    record = PolicyVersionRecord(
        version=published.version,
        effective_at=published.effective_at,
        material=published.material,
        summary=published.summary,
        published_at=published.published_at,
        published_by=operator.member_id,
        # The packaged document of the same version if one ships, else the baseline's text.
        document=request.version
        if packaged_document(request.version) is not None
        else CURRENT_VERSION,
    )
    try:
        versions_dal.publish(record)
    except versions_dal.VersionTaken:
        raise Conflict("That version was already published; name the new version.") from None
    return published
