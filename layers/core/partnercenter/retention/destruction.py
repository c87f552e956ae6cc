"""Destruction records (R-RET-7): what kind of record, which items, why, when, by which run.

A record names its subject by pseudonym only and never holds the destroyed data.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from partnercenter.api import ApiModel, Caller
from partnercenter.clock import iso, iso_micro, query_range
from partnercenter.config import get_settings
from partnercenter.dal import destruction_records as records_dal
from partnercenter.dal.codec import to_item
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.hashing import subject_pseudonym

RecordKind = Literal[
    "member_profile",
    "retained_data",
    "signup_application",
    "verification",
    "usage_records",
    "sanction_record",
]


def destruction_record_put(
    *,
    member_id: str,
    kind: RecordKind,
    items: list[str],
    reason: str,
    run_id: str,
    at: datetime,
) -> dict[str, Any]:
    """The TransactWriteItems entry that records one destruction with the destruction itself."""
    record_id = str(uuid.uuid4())
    destroyed_at = iso(at)
    return {
        "Put": {
            "TableName": get_settings().destruction_records_table,
            "Item": to_item(
                {
                    "month": destroyed_at[:7],
                    "destroyedAtId": f"{destroyed_at}#{record_id}",
                    "recordId": record_id,
                    "subject": subject_pseudonym(member_id),
                    "kind": kind,
                    "items": items,
                    "reason": reason,
                    "destroyedAt": destroyed_at,
                    "runId": run_id,
                }
            ),
        }
    }


class DestructionRecord(ApiModel):
    record_id: str
    subject: str
    kind: str
    items: list[str]
    reason: str
    destroyed_at: str
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
                record_id=r["recordId"],
                subject=r["subject"],
                kind=r["kind"],
                items=list(r["items"]),
                reason=r["reason"],
                destroyed_at=r["destroyedAt"],
                run_id=r["runId"],
            )
            for r in rows
        ],
        next_token=encode_token(last_key, scope),
    )
