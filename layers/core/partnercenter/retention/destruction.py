"""Destruction records (R-RET-7): what kind of record, which items, why, when, by which run.

A record names its subject by pseudonym only and never holds the destroyed data.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from partnercenter.api import ApiModel, Caller
from partnercenter.clock import iso, iso_micro, query_range
from partnercenter.config import get_settings
from partnercenter.dal import destruction_records as records_dal
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.dal.transactions import Entry
from partnercenter.hashing import subject_pseudonym

RecordKind = Literal[
    "member_profile",
    "retained_data",
    "signup_application",
    "verification",
    "usage_records",
    "sanction_record",
]


# Which table's PITR window decides when the last backup copy of each kind is gone: personal
# fields die with their data key (DataKeysTable), lookup hashes with MembersTable/RetainedTable,
# which share that window (KeyBackupDays in template.yaml).
_BACKUP_WINDOW: dict[str, str] = {
    "member_profile": "key_backup_days",
    "retained_data": "key_backup_days",
    "signup_application": "key_backup_days",
    "verification": "verification_backup_days",
    "usage_records": "record_backup_days",
    "sanction_record": "record_backup_days",
}


def backups_expire_at(kind: RecordKind, destroyed_at: datetime) -> datetime:
    """When the last backup copy of what was destroyed expires: it is unrecoverable from then."""
    days: int | None = getattr(get_settings(), _BACKUP_WINDOW[kind])
    if days is None:
        raise RuntimeError(f"{_BACKUP_WINDOW[kind].upper()} is not set (template.yaml Globals)")
    return destroyed_at + timedelta(days=days)


def destruction_record(
    *,
    member_id: str,
    kind: RecordKind,
    items: list[str],
    reason: str,
    run_id: str,
    at: datetime,
) -> Entry:
    """The transaction entry that records one destruction with the destruction itself."""
    destroyed_at = iso(at)
    return records_dal.put(
        records_dal.DestructionRecord(
            record_id=str(uuid.uuid4()),
            subject=subject_pseudonym(member_id),
            kind=kind,
            items=tuple(items),
            reason=reason,
            destroyed_at=destroyed_at,
            backups_expire_at=iso(backups_expire_at(kind, at)),
            run_id=run_id,
        )
    )


class DestructionRecord(ApiModel):
    record_id: str
    subject: str
    kind: str
    items: list[str]
    reason: str
    destroyed_at: str
    backups_expire_at: str | None = Field(
        description=(
            "When the last backup copy (PITR) of the destroyed items expires: from then on they "
            "cannot be recovered. None on records written before it was kept."
        )
    )
    run_id: str


class DestructionRecordList(ApiModel):
    items: list[DestructionRecord]
    next_token: str | None = None


def list_destruction_records(
    operator: Caller, start: str, end: str, limit: int, next_token: str | None
) -> DestructionRecordList:
    """Records destroyed in [start, end], oldest first, one month partition at a time (at most
    13: the range is bounded by ``clock.MAX_RANGE``)."""
    start_at, end_at = query_range(start, end)
    scope = PageScope(
        "GET /admin/destruction-records",
        operator.member_id,
        {"from": iso_micro(start_at), "to": iso_micro(end_at)},
    )
    rows, last_key = records_dal.query_range(
        iso(start_at), iso(end_at), limit, decode_token(next_token, scope)
    )
    return DestructionRecordList(
        items=[
            DestructionRecord(
                record_id=r.record_id,
                subject=r.subject,
                kind=r.kind,
                items=list(r.items),
                reason=r.reason,
                destroyed_at=r.destroyed_at,
                backups_expire_at=r.backups_expire_at,
                run_id=r.run_id,
            )
            for r in rows
        ],
        next_token=encode_token(last_key, scope),
    )
