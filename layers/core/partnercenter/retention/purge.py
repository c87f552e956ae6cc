"""The scheduled retention purge (R-RET-1, R-RET-2, R-RET-6, R-RET-7, R-RET-8).

Retained data is destroyed once every hold on it has ended: the purge reads only the subjects
that are due (RetainedTable's sparse ``byDue`` index, one Query per shard page) and destroys
each in a transaction that deletes the retained record on condition that no hold changed since
the read (``holdVersion``) and that it is still due, crypto-shreds its data key, deletes its
ended hold rows and writes its destruction record. A hold added meanwhile makes the condition
fail: the subject stays and is counted in ``skippedHeld``. Several subjects share a
transaction (up to 100 items); a cancelled one is retried subject by subject to isolate the
failing subject.

Idempotent and resumable: the conditions make a re-run, or a concurrent run, harmless (a
destruction record is written only by the transaction that deleted the data, so counts are
exact); the run stops before its deadline and reports ``remaining``, which the next run does.
It also destroys expired verifications and usage records past their legal period that TTL
(which may lag 48 hours) has not removed yet, with a destruction record per subject and batch.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from partnercenter.clock import iso, utc_now
from partnercenter.config import get_settings
from partnercenter.dal import purge as purge_dal
from partnercenter.dal.pagination import StartKey
from partnercenter.dal.purge import (
    CONDITION_FAILED,
    DUE_SHARDS,
    DueSubject,
    ExpiredItem,
    ExpiryKind,
)
from partnercenter.dal.transactions import Transaction, TransactionCancelled
from partnercenter.deadline import Deadline
from partnercenter.destruction import destruction_record
from partnercenter.models import ApiModel
from partnercenter.observability import logger, metrics, tracer
from partnercenter.sanctions.retention import destroy_expired_sanction_records

# Stop this long before the Lambda timeout: one batch and its isolation retries fit in it.
SAFETY_MS = 10_000
MAX_TRANSACTION_ITEMS = 100
DUE_PAGE_SIZE = 1_000
EXPIRY_PAGE_SIZE = 500
# Retained record + data key + destruction record; the rest of a transaction is hold rows.
_FIXED_ITEMS_PER_SUBJECT = 3
_MAX_HOLDS_IN_TRANSACTION = MAX_TRANSACTION_ITEMS - _FIXED_ITEMS_PER_SUBJECT
# Loop bounds far above any real backlog (pages of 500-1,000 items): the deadline stops sooner.
_MAX_PAGES = 100_000

RETENTION_ENDED = "retention ended"
VERIFICATION_EXPIRED = "verification expired"
USAGE_PERIOD_ENDED = "usage record legal period ended"
_EXPIRY_ITEMS: dict[ExpiryKind, list[str]] = {
    "verification": ["verification"],
    "usage_records": ["at", "route", "sourceIp"],
}
_EXPIRY_REASONS: dict[ExpiryKind, str] = {
    "verification": VERIFICATION_EXPIRED,
    "usage_records": USAGE_PERIOD_ENDED,
}


class PurgeReport(ApiModel):
    """What one run did; ``purged``, ``skipped_held`` and ``remaining`` count subjects."""

    run_id: str
    as_of: str
    purged: int = 0
    skipped_held: int = 0
    remaining: int = 0
    dry_run: bool = False
    expired_verifications: int = 0
    expired_usage_records: int = 0
    expired_sanction_records: int = 0


class PurgeDetail(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    dry_run: bool = Field(False, alias="dryRun")


class ScheduledPurgeEvent(BaseModel):
    """EventBridge Scheduler's (or an EventBridge rule's) scheduled event.

    A hand-made invoke may send only ``{"detail": {"dryRun": true}}``; the purge then runs as of
    now.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str | None = None
    source: str | None = None
    detail_type: str | None = Field(None, alias="detail-type")
    time: datetime | None = None
    detail: PurgeDetail = Field(default_factory=lambda: PurgeDetail.model_validate({}))

    @field_validator("detail", mode="before")
    @classmethod
    def _decode_detail(cls, value: Any) -> Any:
        # Scheduler's default payload carries detail as the JSON text "{}", not an object.
        return json.loads(value) if isinstance(value, str) else value


def purge_clock(event_time: datetime | None, *, local_stack: bool, now: datetime) -> datetime:
    """The purge's "as of": the local stack may run it "a year later"; AWS never ahead of now."""
    if event_time is None:
        return now
    moment = event_time if event_time.tzinfo else event_time.replace(tzinfo=UTC)
    return moment if local_stack else min(moment, now)


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def scheduled_purge(event: ScheduledPurgeEvent, remaining_ms: Callable[[], int]) -> PurgeReport:
    """One scheduled run: its clock from the event, its deadline from the Lambda context."""
    as_of = purge_clock(event.time, local_stack=get_settings().local_stack, now=utc_now())
    return run_purge(
        as_of,
        dry_run=event.detail.dry_run,
        run_id=str(uuid.uuid4()),
        deadline=Deadline(remaining_ms, SAFETY_MS),
    )


def run_purge(as_of: datetime, *, dry_run: bool, run_id: str, deadline: Deadline) -> PurgeReport:
    """Destroy what is due at ``as_of`` (or, in a dry run, count it and touch nothing)."""
    started = time.monotonic()
    run = _Run(as_of.replace(microsecond=0), dry_run, run_id, deadline)
    run.retained()
    for kind in ("verification", "usage_records"):
        run.expired(kind)
    report = run.report
    # Sanction records a year after the sanction ended (R-RET-8): sanctions.retention.
    report.expired_sanction_records = destroy_expired_sanction_records(
        now_epoch=run.now_epoch,
        run_id=run_id,
        destroyed_at=run._destroyed_at,
        out_of_time=deadline.passed,
        dry_run=dry_run,
    )
    duration_ms = int((time.monotonic() - started) * 1000)
    if not dry_run:
        _emit_metrics(report, duration_ms)
    logger.info(
        "Retention purge finished",
        extra={**report.model_dump(by_alias=True), "durationMs": duration_ms},
    )
    return report


def _emit_metrics(report: PurgeReport, duration_ms: int) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    # Counts only: no dimension or value ever names a subject.
    metrics.add_metric(name="purged", unit=MetricUnit.Count, value=report.purged)
    metrics.add_metric(name="skippedHeld", unit=MetricUnit.Count, value=report.skipped_held)
    metrics.add_metric(name="remaining", unit=MetricUnit.Count, value=report.remaining)
    metrics.add_metric(
        name="expiredVerifications", unit=MetricUnit.Count, value=report.expired_verifications
    )
    metrics.add_metric(
        name="expiredUsageRecords", unit=MetricUnit.Count, value=report.expired_usage_records
    )
    metrics.add_metric(
        name="expiredSanctionRecords",
        unit=MetricUnit.Count,
        value=report.expired_sanction_records,
    )
    metrics.add_metric(name="durationMs", unit=MetricUnit.Milliseconds, value=duration_ms)


class _Sized(Protocol):
    def size(self) -> int: ...


def pack[U: _Sized](units: Sequence[U], limit: int = MAX_TRANSACTION_ITEMS) -> Iterator[list[U]]:
    """Consecutive units grouped so that no group's items exceed ``limit`` (one transaction)."""
    batch: list[U] = []
    items = 0
    for unit in units:
        if batch and items + unit.size() > limit:
            yield batch
            batch, items = [], 0
        batch.append(unit)
        items += unit.size()
    if batch:
        yield batch


@dataclass(frozen=True)
class SubjectDestruction:
    """Everything of one retained subject that goes, in one transaction."""

    due: DueSubject
    hold_ids: tuple[str, ...]

    def size(self) -> int:
        return _FIXED_ITEMS_PER_SUBJECT + len(self.hold_ids)

    def add_to(
        self, transaction: Transaction, name: str, as_of: str, run_id: str, at: datetime
    ) -> None:
        """Its entries, named ``<name>.retained_record`` and so on."""
        subject = self.due.subject
        transaction.add(
            f"{name}.retained_record", purge_dal.destroy_retained_if_due(self.due, as_of)
        )
        transaction.add(f"{name}.retained_key", purge_dal.shred_retained_key(subject))
        transaction.add_group(
            f"{name}.ended_holds",
            [purge_dal.delete_hold_if_ended(subject, hold, as_of) for hold in self.hold_ids],
        )
        transaction.add(
            f"{name}.destruction_record",
            destruction_record(
                member_id=subject,
                kind="retained_data",
                items=list(self.due.items),
                reason=RETENTION_ENDED,
                run_id=run_id,
                at=at,
            ),
        )


@dataclass(frozen=True)
class ExpiryDestruction:
    """Expired items of one subject and one kind, with the destruction record that covers them."""

    kind: ExpiryKind
    subject: str
    items: tuple[ExpiredItem, ...]

    def size(self) -> int:
        return len(self.items) + 1

    def add_to(
        self, transaction: Transaction, name: str, now_epoch: int, run_id: str, at: datetime
    ) -> None:
        """Its entries: ``<name>.expired[i]`` for its i-th item, then its destruction record."""
        transaction.add_group(
            f"{name}.expired",
            [purge_dal.delete_if_expired(self.kind, item, now_epoch) for item in self.items],
        )
        transaction.add(
            f"{name}.destruction_record",
            destruction_record(
                member_id=self.subject,
                kind=self.kind,
                items=_EXPIRY_ITEMS[self.kind],
                reason=_EXPIRY_REASONS[self.kind],
                run_id=run_id,
                at=at,
            ),
        )


def expiry_destructions(kind: ExpiryKind, found: list[ExpiredItem]) -> list[ExpiryDestruction]:
    """Expired items grouped by subject, each group small enough for one transaction."""
    by_subject: dict[str, list[ExpiredItem]] = {}
    for item in found:
        by_subject.setdefault(item.subject, []).append(item)
    step = MAX_TRANSACTION_ITEMS - 1
    return [
        ExpiryDestruction(kind, subject, tuple(items[i : i + step]))
        for subject, items in by_subject.items()
        for i in range(0, len(items), step)
    ]


def _commit(transaction: Transaction) -> TransactionCancelled | None:
    """None once committed; else the cancellation, entry by entry."""
    try:
        transaction.commit()
    except TransactionCancelled as cancelled:
        return cancelled
    return None


class _Run:
    def __init__(self, as_of: datetime, dry_run: bool, run_id: str, deadline: Deadline) -> None:
        self.as_of = as_of
        self.as_of_text = iso(as_of)
        self.now_epoch = int(as_of.timestamp())
        self.run_id = run_id
        self.deadline = deadline
        self.report = PurgeReport(run_id=run_id, as_of=self.as_of_text, dry_run=dry_run)

    def _destroyed_at(self) -> datetime:
        # The real time of destruction, or the run's clock when the local stack runs ahead.
        return max(self.as_of, utc_now())

    # ------------------------------------------------------------ retained subjects
    def retained(self) -> None:
        """Every shard's due subjects, page by page; transactions filled across pages."""
        pending: list[SubjectDestruction] = []
        for index, shard in enumerate(DUE_SHARDS):
            start_key: StartKey | None = None
            for _ in range(_MAX_PAGES):
                if self.deadline.passed():
                    self.report.remaining += len(pending)
                    self._count_remaining(index, start_key, started=start_key is not None)
                    return
                page, start_key = purge_dal.due_page(
                    shard, self.as_of_text, DUE_PAGE_SIZE, start_key
                )
                if self.report.dry_run:
                    self.report.purged += len(page)
                else:
                    pending += [u for u in map(self._subject_destruction, page) if u]
                    pending, in_time = self._destroy(pending, final=False)
                    if not in_time:
                        self.report.remaining += len(pending)
                        self._count_remaining(index, start_key, started=True)
                        return
                if start_key is None:
                    break
        pending, _ = self._destroy(pending, final=True)
        self.report.remaining += len(pending)

    def _count_remaining(
        self, shard_index: int, start_key: StartKey | None, *, started: bool
    ) -> None:
        """Out of time: count what is still due after this point (read only in that case).

        ``started``: this shard has been read up to ``start_key`` (None: to its end).
        """
        if not started or start_key is not None:
            self.report.remaining += purge_dal.count_due(
                DUE_SHARDS[shard_index], self.as_of_text, start_key
            )
        for later in DUE_SHARDS[shard_index + 1 :]:
            self.report.remaining += purge_dal.count_due(later, self.as_of_text, None)

    def _destroy(
        self, pending: list[SubjectDestruction], *, final: bool
    ) -> tuple[list[SubjectDestruction], bool]:
        """Commit the full transactions among ``pending`` (all of them if ``final``).

        Returns what is left uncommitted, and False if that is because time ran out; a partial
        last transaction waits for the next page so that every write call carries the most.
        """
        batches = list(pack(pending))
        ready = batches if final else batches[:-1]
        for number, batch in enumerate(ready):
            if self.deadline.passed():
                return [u for b in batches[number:] for u in b], False
            self._commit_subjects(batch)
        return pending[sum(len(b) for b in ready) :], True

    def _subject_destruction(self, due: DueSubject) -> SubjectDestruction | None:
        holds = (
            due.hold_ids if due.hold_ids is not None else purge_dal.subject_hold_ids(due.subject)
        )
        overflow = holds[_MAX_HOLDS_IN_TRANSACTION:]
        if overflow and not self._delete_overflow_holds(due.subject, overflow):
            self.report.skipped_held += 1
            return None
        return SubjectDestruction(due, holds[:_MAX_HOLDS_IN_TRANSACTION])

    def _delete_overflow_holds(self, subject: str, hold_ids: tuple[str, ...]) -> bool:
        """Ended holds beyond one transaction's room go first; False if one is still open."""
        for start in range(0, len(hold_ids), MAX_TRANSACTION_ITEMS):
            chunk = hold_ids[start : start + MAX_TRANSACTION_ITEMS]
            entries = [purge_dal.delete_hold_if_ended(subject, h, self.as_of_text) for h in chunk]
            if _commit(Transaction().add_group("ended_holds", entries)) is not None:
                return False
        return True

    def _subjects_transaction(self, batch: list[SubjectDestruction]) -> Transaction:
        """The batch's subjects, named ``subject0``, ``subject1``, ..."""
        at = self._destroyed_at()
        transaction = Transaction()
        for number, unit in enumerate(batch):
            unit.add_to(transaction, f"subject{number}", self.as_of_text, self.run_id, at)
        return transaction

    def _commit_subjects(self, batch: list[SubjectDestruction]) -> None:
        cancelled = _commit(self._subjects_transaction(batch))
        if cancelled is None:
            self.report.purged += len(batch)
            return
        if len(batch) == 1:
            self._classify(cancelled)
            return
        for unit in batch:  # isolate the failing subject(s)
            alone = _commit(self._subjects_transaction([unit]))
            if alone is None:
                self.report.purged += 1
            else:
                self._classify(alone)

    def _classify(self, cancelled: TransactionCancelled) -> None:
        """Why one subject's (``subject0``'s) destruction was refused."""
        retained = "subject0.retained_record"
        if (
            cancelled.reasons.get(retained) == CONDITION_FAILED
            and retained not in cancelled.present
        ):
            return  # another run destroyed it (and recorded it): nothing to count here
        if CONDITION_FAILED in cancelled.reasons.values():
            self.report.skipped_held += 1  # a hold was added, extended or is still open
            return
        # A conflicting write or a transient refusal: still due, the next run retries it.
        logger.warning(
            "Retained subject not destroyed this run",
            extra={"codes": sorted(set(cancelled.reasons.values()))},
        )
        self.report.remaining += 1

    # ------------------------------------------------------------ expiries (R-RET-8)
    def expired(self, kind: ExpiryKind) -> None:
        scan = (
            purge_dal.expired_verifications
            if kind == "verification"
            else purge_dal.expired_usage_records
        )
        start_key: StartKey | None = None
        for _ in range(_MAX_PAGES):
            if self.deadline.passed():
                return  # TTL remains the backstop; the next run scans again
            found, start_key = scan(self.now_epoch, EXPIRY_PAGE_SIZE, start_key)
            if self.report.dry_run:
                self._count_expired(kind, len(found))
            elif not self._destroy_expired(expiry_destructions(kind, found)):
                return
            if start_key is None:
                return

    def _count_expired(self, kind: ExpiryKind, count: int) -> None:
        if kind == "verification":
            self.report.expired_verifications += count
        else:
            self.report.expired_usage_records += count

    def _destroy_expired(self, units: list[ExpiryDestruction]) -> bool:
        """Destroy a page's expired items; False if time ran out first."""
        for batch in pack(units):
            if self.deadline.passed():
                return False
            if self._commit_expired(batch) is None:
                for unit in batch:
                    self._count_expired(unit.kind, len(unit.items))
                continue
            for unit in batch:
                self._commit_expired_alone(unit)
        return True

    def _commit_expired(self, batch: list[ExpiryDestruction]) -> TransactionCancelled | None:
        """The batch's subjects, named ``expiry0``, ``expiry1``, ..."""
        at = self._destroyed_at()
        transaction = Transaction()
        for number, unit in enumerate(batch):
            unit.add_to(transaction, f"expiry{number}", self.now_epoch, self.run_id, at)
        return _commit(transaction)

    def _commit_expired_alone(self, unit: ExpiryDestruction) -> None:
        """One subject's expired items; those already gone (TTL, another run) are left out."""
        cancelled = self._commit_expired([unit])
        if cancelled is None:
            self._count_expired(unit.kind, len(unit.items))
            return
        still = tuple(
            item
            for number, item in enumerate(unit.items)
            if cancelled.reasons.get(f"expiry0.expired[{number}]") != CONDITION_FAILED
        )
        if still and len(still) < len(unit.items):
            retry = ExpiryDestruction(unit.kind, unit.subject, still)
            if self._commit_expired([retry]) is None:
                self._count_expired(unit.kind, len(still))
