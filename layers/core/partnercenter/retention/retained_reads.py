"""Retained data read for its purpose only (R-RET-5).

A withdrawn member's retained items are opened only while an open hold of the purpose asked
for (settlement, complaint, legal) covers them, and only the items that hold keeps: a
settlement dispute sees what the settlement hold keeps, and a purpose no hold serves gets
403 NO_RETENTION_PURPOSE. Every read is first an access record naming the purpose (R-SEC-2);
a read that cannot be recorded does not happen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from partnercenter.audit.access_records import record_access
from partnercenter.clock import utc_now
from partnercenter.crypto import FieldCipher
from partnercenter.dal import retained_reads as retained_reads_dal
from partnercenter.dal.holds import HoldRecord
from partnercenter.errors import NoRetentionPurpose, NotFound
from partnercenter.models import ApiModel, Caller, Text
from partnercenter.retention.holds import load_holds

RetentionPurpose = Literal["settlement", "complaint", "legal"]
READ_ACTION = "read_retained_data"


class RetainedReadRequest(ApiModel):
    purpose: RetentionPurpose
    reason: Text


class RetainedData(ApiModel):
    name: str | None = Field(description="None when no open hold of this purpose keeps it.")
    phone: str | None = Field(description="None when no open hold of this purpose keeps it.")
    purpose: RetentionPurpose


def covering_holds(holds: list[HoldRecord], purpose: str, now: datetime) -> list[HoldRecord]:
    """The holds in force now whose kind is the purpose asked for."""
    return [hold for hold in holds if hold.kind == purpose and hold.in_force(now)]


def read_retained(
    operator: Caller, member_id: str, request: RetainedReadRequest, now: datetime | None = None
) -> RetainedData:
    """Open the withdrawn member's retained items that an open hold of the purpose keeps."""
    now = now or utc_now()
    holds, _ = load_holds(member_id)
    covering = covering_holds(holds, request.purpose, now)
    if not covering:
        raise NoRetentionPurpose()
    sealed = retained_reads_dal.load_sealed(member_id)
    if sealed is None:
        raise NotFound("No withdrawn member with retained data under this id.")
    kept = {item for hold in covering for item in hold.items}
    items = [item for item in sealed.items if item in kept and item in sealed.sealed]
    if not items:
        raise NoRetentionPurpose()
    # The access record names the purpose; the operator's free-text reason may hold personal
    # data, so it is not copied into the record (R-SEC-2, R-SEC-3).
    record_access(
        actor=operator.member_id,
        actor_role="operator",
        member_id=member_id,
        action=f"{READ_ACTION}:{request.purpose}",
        source_ip=operator.source_ip,
    )
    key = retained_reads_dal.open_retained_key(member_id)
    if key is None:
        raise NotFound("No withdrawn member with retained data under this id.")
    cipher = FieldCipher(retained_reads_dal.retained_cipher_subject(member_id), key)
    values = {item: cipher.open(item, sealed.sealed[item]) for item in items}
    return RetainedData(name=values.get("name"), phone=values.get("phone"), purpose=request.purpose)
