"""NoticesTable (``noticeId``) and NoticeDeliveriesTable (``noticeId``, ``subject``): notices to
members and each member's delivery, by pseudonym (R-NOT-1, R-NOT-2, R-SEC-4).

Sparse GSIs on NoticesTable: ``bySending`` (``sending``, ``createdAt``) holds only notices still
being delivered, for the scheduled resumption; ``byAnnouncement`` (``announced``,
``announceUntil``) only notices announced on the policy page.

Rows travel as frozen records (``NoticeRecord``, ``DeliveryRecord``); items, attribute names and
expressions stay in this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

from partnercenter.config import get_settings
from partnercenter.dal.aws import client, query_all
from partnercenter.dal.codec import from_item, to_item

NoticeKind = Literal["policy_change", "business_transfer", "breach"]
NoticeAudience = Literal["all_active", "listed_members"]
NoticeState = Literal["sending", "sent"]
DeliveryStatus = Literal["sending", "sent", "failed", "unreachable"]
# R-SEC-4 as amended in 2026 (Law 21445): the facts a breach notice records.
Leak = Literal["confirmed", "possible"]
BreachCause = Literal["outside_access", "insider", "loss", "tampering"]
DataKind = Literal[
    "name",
    "login_id",
    "phone",
    "password",
    "connecting_information",
    "sensitive",
    "unique_identifier",
    "other",
]

SENDING = "SENDING"
ANNOUNCED = "ANNOUNCED"
_MAX_PAGES = 100_000  # deliveries of one notice: one per member; a bound all the same


@dataclass(frozen=True)
class AuthorityReportRecord:
    """One report of a breach to PIPC/KISA: the first (possibly partial) or a follow-up."""

    sequence: int
    reported_at: str
    complete: bool
    recorded_at: str
    recorded_by: str


@dataclass(frozen=True)
class BreachFacts:
    """What is known of a breach; follow-up reports may correct every fact but when it became
    known. ``None`` only on notices recorded before the 2026 rules."""

    leak: Leak | None
    cause: BreachCause | None
    affected_count: int | None
    data_kinds: tuple[DataKind, ...]


@dataclass(frozen=True)
class BreachRecord:
    known_at: str
    facts: BreachFacts
    authority_reports: tuple[AuthorityReportRecord, ...] = ()


@dataclass(frozen=True)
class NoticeRecord:
    notice_id: str
    kind: NoticeKind
    subject: str
    body: str
    audience: NoticeAudience
    created_at: str
    created_by: str
    state: NoticeState = "sending"
    member_ids: tuple[str, ...] = ()  # listed audiences, kept only while delivering
    cursor: str | None = None
    finished_at: str | None = None
    announce_until: str | None = None
    breach: BreachRecord | None = None


@dataclass(frozen=True)
class AnnouncedRecord:
    """A notice as the ``byAnnouncement`` index projects it."""

    notice_id: str
    kind: NoticeKind
    subject: str
    body: str
    created_at: str
    announce_until: str


@dataclass(frozen=True)
class DeliveryRecord:
    notice_id: str
    subject: str
    channel: str
    status: DeliveryStatus
    attempted_at: str
    sent_at: str | None = None
    settled_at: str | None = None
    error_code: str | None = None
    message_id: str | None = None


def configured() -> bool:
    return bool(get_settings().notices_table)


def _notices() -> str:
    table = get_settings().notices_table
    if not table:
        raise RuntimeError("NOTICES_TABLE is not configured")
    return table


def _deliveries() -> str:
    table = get_settings().notice_deliveries_table
    if not table:
        raise RuntimeError("NOTICE_DELIVERIES_TABLE is not configured")
    return table


def _key(notice_id: str) -> dict[str, Any]:
    return {"noticeId": {"S": notice_id}}


def _condition_failed(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    return (
        isinstance(exc, ClientError)
        and exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
    )


# ---------------------------------------------------------------------------- conversion
def _facts_values(facts: BreachFacts) -> dict[str, Any]:
    return {
        "breachLeak": facts.leak,
        "breachCause": facts.cause,
        "affectedCount": facts.affected_count,
        "dataKinds": list(facts.data_kinds),
    }


def _report_value(report: AuthorityReportRecord) -> dict[str, Any]:
    return {
        "sequence": report.sequence,
        "reportedAt": report.reported_at,
        "complete": report.complete,
        "recordedAt": report.recorded_at,
        "recordedBy": report.recorded_by,
    }


def _notice_item(notice: NoticeRecord) -> dict[str, Any]:
    values: dict[str, Any] = {
        "noticeId": notice.notice_id,
        "kind": notice.kind,
        "subject": notice.subject,
        "body": notice.body,
        "audience": notice.audience,
        "memberIds": list(notice.member_ids) or None,
        "createdAt": notice.created_at,
        "createdBy": notice.created_by,
        "announceUntil": notice.announce_until,
        "announced": ANNOUNCED if notice.announce_until else None,
        "state": notice.state,
        "sending": SENDING if notice.state == "sending" else None,
        "cursor": notice.cursor,
        "finishedAt": notice.finished_at,
    }
    if notice.breach is not None:
        values["breachKnownAt"] = notice.breach.known_at
        values.update(_facts_values(notice.breach.facts))
        values["authorityReports"] = [_report_value(r) for r in notice.breach.authority_reports]
    return to_item(values)


def _report_record(value: dict[str, Any]) -> AuthorityReportRecord:
    return AuthorityReportRecord(
        sequence=int(value["sequence"]),
        reported_at=str(value["reportedAt"]),
        complete=bool(value["complete"]),
        recorded_at=str(value["recordedAt"]),
        recorded_by=str(value["recordedBy"]),
    )


def _breach_record(row: dict[str, Any]) -> BreachRecord | None:
    if "breachKnownAt" not in row:
        return None
    count = row.get("affectedCount")
    return BreachRecord(
        known_at=str(row["breachKnownAt"]),
        facts=BreachFacts(
            leak=cast(Leak | None, row.get("breachLeak")),
            cause=cast(BreachCause | None, row.get("breachCause")),
            affected_count=None if count is None else int(count),
            data_kinds=tuple(cast(list[DataKind], row.get("dataKinds") or [])),
        ),
        authority_reports=tuple(_report_record(r) for r in row.get("authorityReports") or []),
    )


def _notice_record(item: dict[str, Any]) -> NoticeRecord:
    row = from_item(item)
    return NoticeRecord(
        notice_id=str(row["noticeId"]),
        kind=cast(NoticeKind, row["kind"]),
        subject=str(row["subject"]),
        body=str(row["body"]),
        audience=cast(NoticeAudience, row["audience"]),
        created_at=str(row["createdAt"]),
        created_by=str(row["createdBy"]),
        state=cast(NoticeState, row["state"]),
        member_ids=tuple(str(m) for m in row.get("memberIds") or []),
        cursor=row.get("cursor"),
        finished_at=row.get("finishedAt"),
        announce_until=row.get("announceUntil"),
        breach=_breach_record(row),
    )


def _delivery_record(row: dict[str, Any]) -> DeliveryRecord:
    return DeliveryRecord(
        notice_id=str(row["noticeId"]),
        subject=str(row["subject"]),
        channel=str(row["channel"]),
        status=cast(DeliveryStatus, row["status"]),
        attempted_at=str(row["attemptedAt"]),
        sent_at=row.get("sentAt"),
        settled_at=row.get("settledAt"),
        error_code=row.get("errorCode"),
        message_id=row.get("messageId"),
    )


# ---------------------------------------------------------------------------- notices
def put_new(notice: NoticeRecord) -> None:
    client("dynamodb").put_item(
        TableName=_notices(),
        Item=_notice_item(notice),
        ConditionExpression="attribute_not_exists(noticeId)",
    )


def get(notice_id: str) -> NoticeRecord | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_notices(), Key=_key(notice_id), ConsistentRead=True)
        .get("Item")
    )
    return _notice_record(item) if item else None


def save_cursor(notice_id: str, cursor: str) -> None:
    """Where delivery stands in the audience; only while the notice is still being sent."""
    try:
        client("dynamodb").update_item(
            TableName=_notices(),
            Key=_key(notice_id),
            UpdateExpression="SET #cursor = :c",
            ConditionExpression="attribute_exists(sending)",
            ExpressionAttributeNames={"#cursor": "cursor"},
            ExpressionAttributeValues={":c": {"S": cursor}},
        )
    except Exception as exc:
        if not _condition_failed(exc):
            raise


def finish(notice_id: str, finished_at: str) -> None:
    """Every member of the audience was handled: the recipient list is no longer kept."""
    client("dynamodb").update_item(
        TableName=_notices(),
        Key=_key(notice_id),
        UpdateExpression=(
            "SET #state = :sent, finishedAt = if_not_exists(finishedAt, :at) "
            "REMOVE sending, #cursor, memberIds"
        ),
        ExpressionAttributeNames={"#state": "state", "#cursor": "cursor"},
        ExpressionAttributeValues={":sent": {"S": "sent"}, ":at": {"S": finished_at}},
    )


def add_authority_report_if_next(
    notice_id: str, report: AuthorityReportRecord, facts: BreachFacts
) -> bool:
    """R-SEC-4: append a report to PIPC/KISA to a breach notice and take the facts it states,
    only if it is the next in sequence (no other report was added meanwhile); False if not."""
    after = report.sequence - 1
    names = {"#kind": "kind", "#reports": "authorityReports"}
    values: dict[str, Any] = {
        ":breach": {"S": "breach"},
        ":report": to_item({"r": [_report_value(report)]})["r"],
        ":empty": {"L": []},
        ":after": {"N": str(after)},
    }
    sets = ["#reports = list_append(if_not_exists(#reports, :empty), :report)"]
    for index, (name, value) in enumerate(_facts_values(facts).items()):
        if value is not None:
            names[f"#f{index}"] = name
            values[f":f{index}"] = to_item({"v": value})["v"]
            sets.append(f"#f{index} = :f{index}")
    next_in_sequence = (
        "(attribute_not_exists(#reports) OR size(#reports) = :after)"
        if after == 0
        else "size(#reports) = :after"
    )
    try:
        client("dynamodb").update_item(
            TableName=_notices(),
            Key=_key(notice_id),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=f"#kind = :breach AND {next_in_sequence}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except Exception as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def still_sending(created_before: str, limit: int) -> list[str]:
    """Ids of notices whose delivery is unfinished, created before ``created_before``."""
    answer = client("dynamodb").query(
        TableName=_notices(),
        IndexName="bySending",
        KeyConditionExpression="sending = :s AND createdAt <= :before",
        ExpressionAttributeValues={":s": {"S": SENDING}, ":before": {"S": created_before}},
        Limit=limit,
    )
    return [i["noticeId"]["S"] for i in answer.get("Items", [])]


def announced(now: str, limit: int) -> list[AnnouncedRecord]:
    """Notices whose announcement runs at least until ``now``, ending soonest first."""
    answer = client("dynamodb").query(
        TableName=_notices(),
        IndexName="byAnnouncement",
        KeyConditionExpression="announced = :a AND announceUntil >= :now",
        ExpressionAttributeValues={":a": {"S": ANNOUNCED}, ":now": {"S": now}},
        Limit=limit,
    )
    return [
        AnnouncedRecord(
            notice_id=str(row["noticeId"]),
            kind=cast(NoticeKind, row["kind"]),
            subject=str(row["subject"]),
            body=str(row["body"]),
            created_at=str(row["createdAt"]),
            announce_until=str(row["announceUntil"]),
        )
        for row in map(from_item, answer.get("Items", []))
    ]


# ---------------------------------------------------------------------------- deliveries
def _delivery_key(notice_id: str, subject: str) -> dict[str, Any]:
    return {"noticeId": {"S": notice_id}, "subject": {"S": subject}}


def claim(notice_id: str, subject: str, channel: str, at: str) -> bool:
    """Record that delivery to ``subject`` starts; False if it was already handled."""
    try:
        client("dynamodb").put_item(
            TableName=_deliveries(),
            Item=to_item(
                {
                    "noticeId": notice_id,
                    "subject": subject,
                    "channel": channel,
                    "status": "sending",
                    "attemptedAt": at,
                }
            ),
            ConditionExpression="attribute_not_exists(subject)",
        )
    except Exception as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def _settle(notice_id: str, subject: str, values: dict[str, Any]) -> None:
    names = {f"#v{i}": name for i, name in enumerate(values)}
    item = to_item(values)
    client("dynamodb").update_item(
        TableName=_deliveries(),
        Key=_delivery_key(notice_id, subject),
        UpdateExpression="SET " + ", ".join(f"#v{i} = :v{i}" for i in range(len(values))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":v{i}": item[name] for i, name in enumerate(values)},
    )


def settle_sent(notice_id: str, subject: str, sent_at: str, message_id: str) -> None:
    _settle(notice_id, subject, {"status": "sent", "sentAt": sent_at, "messageId": message_id})


def settle_failed(notice_id: str, subject: str, error_code: str, settled_at: str) -> None:
    _settle(
        notice_id,
        subject,
        {"status": "failed", "errorCode": error_code, "settledAt": settled_at},
    )


def settle_unreachable(notice_id: str, subject: str, settled_at: str) -> None:
    """Not an active member (any more): nothing to write to."""
    _settle(notice_id, subject, {"status": "unreachable", "settledAt": settled_at})


def deliveries_of(notice_id: str) -> list[DeliveryRecord]:
    rows = query_all(
        {
            "TableName": _deliveries(),
            "KeyConditionExpression": "noticeId = :n",
            "ExpressionAttributeValues": {":n": {"S": notice_id}},
            "ConsistentRead": True,
        },
        max_pages=_MAX_PAGES,
    )
    return [_delivery_record(row) for row in rows]
