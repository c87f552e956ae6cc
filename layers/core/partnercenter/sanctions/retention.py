"""The purge's step for sanction records (R-RET-8): destroyed a year after the sanction ended.

Each record goes in its own transaction with its destruction record (R-RET-7), deleted only
while it is still past due, so a re-run or a concurrent run never counts or records it twice.
What the member's profile shows of it (``sanctionRecords``) goes in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from partnercenter.dal import members as members_dal
from partnercenter.dal import sanctions as sanctions_dal
from partnercenter.dal.pagination import StartKey
from partnercenter.dal.transactions import Transaction, TransactionCancelled
from partnercenter.destruction import destruction_record

SANCTION_RETENTION_ENDED = "sanction record retention ended (1 year after the sanction)"
SANCTION_ITEMS = ["reason", "startsAt", "endsAt", "liftedAt"]
PAGE_SIZE = 500
_MAX_PAGES = 10_000  # far above any number of sanctions; the deadline stops sooner


def destroy_expired_sanction_records(
    *,
    now_epoch: int,
    run_id: str,
    destroyed_at: Callable[[], datetime],
    out_of_time: Callable[[], bool],
    dry_run: bool,
) -> int:
    """Destroy (or, in a dry run, count) sanction records past their retention."""
    if not sanctions_dal.configured():
        return 0
    count = 0
    start_key: StartKey | None = None
    for _ in range(_MAX_PAGES):
        if out_of_time():
            break  # TTL stays the backstop; the next run scans again
        found, start_key = sanctions_dal.expired_page(now_epoch, PAGE_SIZE, start_key)
        for member_id, sanction_id in found:
            if dry_run or _destroy(member_id, sanction_id, now_epoch, run_id, destroyed_at()):
                count += 1
        if start_key is None:
            break
    return count


def _destroy(member_id: str, sanction_id: str, now_epoch: int, run_id: str, at: datetime) -> bool:
    transaction = (
        Transaction()
        .add("sanction", sanctions_dal.delete_if_expired(member_id, sanction_id, now_epoch))
        .add(
            "destruction_record",
            destruction_record(
                member_id=member_id,
                kind="sanction_record",
                items=SANCTION_ITEMS,
                reason=SANCTION_RETENTION_ENDED,
                run_id=run_id,
                at=at,
            ),
        )
    )
    member = members_dal.get_member(member_id)
    if member is not None and sanction_id in (member.sanction_records or {}):
        shown = {k: v for k, v in (member.sanction_records or {}).items() if k != sanction_id}
        transaction.add(
            "profile",
            members_dal.open_sanctions_update(member_id, member.version, member.sanctions, shown),
        )
    try:
        transaction.commit()
    except TransactionCancelled:
        return False  # gone already (TTL, another run), or the profile changed: the next run
    return True
