"""Destruction records (R-RET-7) for operators: the records in a range, by month.

Every destruction writes its record in its own transaction (``partnercenter.destruction``).
"""

from __future__ import annotations

from pydantic import Field

from partnercenter.clock import iso, iso_micro, query_range
from partnercenter.dal import destruction_records as records_dal
from partnercenter.dal.pagination import PageScope, decode_token, encode_token
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import tracer


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


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
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
