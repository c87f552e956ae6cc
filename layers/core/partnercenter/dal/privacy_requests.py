"""PrivacyRequestsTable: members' requests to view, correct, delete or suspend (R-RIGHT-3/4).

Keyed by ``requestId``; GSI ``byState`` (``state``, ``dueAt``) lists the operator's queue by due
date, GSI ``byMember`` (``memberId``, ``receivedAt``) a member's own requests. Domain code sees
``PrivacyRequestRecord``; items and their conditions stay in this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item, to_value
from partnercenter.dal.pagination import KeyCondition

OPEN: Final = "open"
DELAYED: Final = "delayed"
ANSWERED: Final = "answered"
MEMBER: Final = "member"
PROXY: Final = "proxy"

RequestKind = Literal["view", "correct", "delete", "suspend"]
RequestState = Literal["open", "delayed", "answered"]
Channel = Literal["member", "proxy"]
Outcome = Literal["done", "delayed", "refused"]
EvidenceType = Literal["power_of_attorney", "seal_certificate"]


@dataclass(frozen=True)
class EvidenceReference:
    """Where a document proving agency is filed (never the document)."""

    type: EvidenceType
    reference: str


@dataclass(frozen=True)
class AnswerRecord:
    """One answer given; ``reason_enc`` is the reason sealed under the member's key, ``reason``
    a fixed one in clear (when the member's key was already destroyed)."""

    outcome: Outcome
    answered_at: str
    reason: str | None = None
    reason_enc: str | None = None
    objection_path: str | None = None


@dataclass(frozen=True)
class PrivacyRequestRecord:
    request_id: str
    member_id: str
    kind: RequestKind
    channel: Channel
    state: RequestState
    received_at: str
    due_at: str
    details_enc: str | None = None
    evidence: tuple[EvidenceReference, ...] | None = None
    filed_by: str | None = None
    evidence_checked_at: str | None = None
    evidence_checked_by: str | None = None
    answers: tuple[AnswerRecord, ...] = ()

    @property
    def agency_unchecked(self) -> bool:
        """A proxy's request whose evidence of agency no operator has checked yet."""
        return self.channel == PROXY and not self.evidence_checked_at


# ---------------------------------------------------------------------------- items
def _answer_values(answer: AnswerRecord) -> dict[str, Any]:
    values = {
        "outcome": answer.outcome,
        "answeredAt": answer.answered_at,
        "reason": answer.reason,
        "reasonEnc": answer.reason_enc,
        "objectionPath": answer.objection_path,
    }
    return {k: v for k, v in values.items() if v is not None}


def _values(record: PrivacyRequestRecord) -> dict[str, Any]:
    evidence = record.evidence
    return {
        "requestId": record.request_id,
        "memberId": record.member_id,
        "kind": record.kind,
        "channel": record.channel,
        "state": record.state,
        "receivedAt": record.received_at,
        "dueAt": record.due_at,
        "detailsEnc": record.details_enc,
        "evidence": (
            None
            if evidence is None
            else [{"type": e.type, "reference": e.reference} for e in evidence]
        ),
        "filedBy": record.filed_by,
        "evidenceCheckedAt": record.evidence_checked_at,
        "evidenceCheckedBy": record.evidence_checked_by,
        "answers": [_answer_values(a) for a in record.answers] or None,
    }


def _answer(values: dict[str, Any]) -> AnswerRecord:
    return AnswerRecord(
        outcome=values["outcome"],
        answered_at=values["answeredAt"],
        reason=values.get("reason"),
        reason_enc=values.get("reasonEnc"),
        objection_path=values.get("objectionPath"),
    )


def _record(item: dict[str, Any]) -> PrivacyRequestRecord:
    values = from_item(item)
    evidence = values.get("evidence")
    return PrivacyRequestRecord(
        request_id=values["requestId"],
        member_id=values["memberId"],
        kind=values["kind"],
        channel=values["channel"],
        state=values["state"],
        received_at=values["receivedAt"],
        due_at=values["dueAt"],
        details_enc=values.get("detailsEnc"),
        evidence=(
            None
            if evidence is None
            else tuple(EvidenceReference(e["type"], e["reference"]) for e in evidence)
        ),
        filed_by=values.get("filedBy"),
        evidence_checked_at=values.get("evidenceCheckedAt"),
        evidence_checked_by=values.get("evidenceCheckedBy"),
        answers=tuple(_answer(a) for a in values.get("answers", [])),
    )


def _table() -> str:
    table = get_settings().privacy_requests_table
    if not table:
        raise RuntimeError("PRIVACY_REQUESTS_TABLE is not configured")
    return table


def _key(request_id: str) -> dict[str, Any]:
    return {"requestId": {"S": request_id}}


# ---------------------------------------------------------------------------- reads and writes
def put_new(record: PrivacyRequestRecord) -> None:
    client("dynamodb").put_item(
        TableName=_table(),
        Item=to_item(_values(record)),
        ConditionExpression="attribute_not_exists(requestId)",
    )


def get(request_id: str) -> PrivacyRequestRecord | None:
    item = (
        client("dynamodb")
        .get_item(TableName=_table(), Key=_key(request_id), ConsistentRead=True)
        .get("Item")
    )
    return _record(item) if item else None


def _page(
    params: dict[str, Any],
    limit: int,
    start_key: dict[str, Any] | None,
    condition: KeyCondition,
) -> tuple[list[PrivacyRequestRecord], dict[str, Any] | None]:
    params = {"TableName": _table(), "Limit": limit, **params}
    if condition.start_key(start_key):
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    return [_record(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")


def query_by_state(
    state: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[PrivacyRequestRecord], dict[str, Any] | None]:
    """One page of requests in ``state``, earliest due first (so overdue ones lead)."""
    return _page(
        {
            "IndexName": "byState",
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":s": {"S": state}},
        },
        limit,
        start_key,
        KeyCondition(equal={"state": state}, other=("requestId", "dueAt")),
    )


def query_by_member(
    member_id: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[PrivacyRequestRecord], dict[str, Any] | None]:
    """One page of a member's requests, newest first."""
    return _page(
        {
            "IndexName": "byMember",
            "KeyConditionExpression": "memberId = :m",
            "ExpressionAttributeValues": {":m": {"S": member_id}},
            "ScanIndexForward": False,
        },
        limit,
        start_key,
        KeyCondition(equal={"memberId": member_id}, other=("requestId", "receivedAt")),
    )


@dataclass(frozen=True)
class _Update:
    """An update's expressions: names and values bound as ``#n``/``:v`` placeholders."""

    sets: list[str]
    condition: str
    names: dict[str, str]
    values: dict[str, Any]


def _update(request_id: str, update: _Update) -> PrivacyRequestRecord | None:
    """The request as updated, or None if the condition did not hold (it moved on meanwhile)."""
    from botocore.exceptions import ClientError

    try:
        answer = client("dynamodb").update_item(
            TableName=_table(),
            Key=_key(request_id),
            UpdateExpression="SET " + ", ".join(update.sets),
            ConditionExpression=update.condition,
            ExpressionAttributeNames=update.names,
            ExpressionAttributeValues={k: to_value(v) for k, v in update.values.items()},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return _record(answer["Attributes"])


def check_evidence_once(request_id: str, at: str, by: str) -> PrivacyRequestRecord | None:
    """Mark a proxy's evidence of agency checked, unless it already was (the first check
    stands); None if it was, or the request is not a proxy's."""
    return _update(
        request_id,
        _Update(
            sets=["#at = :at", "#by = :by"],
            condition="#channel = :proxy AND attribute_not_exists(#at)",
            names={"#at": "evidenceCheckedAt", "#by": "evidenceCheckedBy", "#channel": "channel"},
            values={":at": at, ":by": by, ":proxy": PROXY},
        ),
    )


def answer_if_open(
    request_id: str,
    answer: AnswerRecord,
    state: RequestState,
    *,
    agency_checked: bool,
    due_at: str | None = None,
) -> PrivacyRequestRecord | None:
    """Append ``answer`` and move the request to ``state`` while it is open or delayed;
    ``agency_checked``: also only if it is the member's own or its agency was checked (so a
    proxy's request is never done before its evidence is, R-RIGHT-4); ``due_at``: the new due
    date a delay gives (R-RIGHT-3), which also re-sorts the queue. None if the request moved
    on meanwhile."""
    condition = "#state IN (:open, :delayed)"
    names = {"#state": "state", "#answers": "answers"}
    values: dict[str, Any] = {
        ":open": OPEN,
        ":delayed": DELAYED,
        ":next": state,
        ":answer": [_answer_values(answer)],
        ":none": [],
    }
    if agency_checked:
        condition += " AND (#channel = :member OR attribute_exists(#checked))"
        names.update({"#channel": "channel", "#checked": "evidenceCheckedAt"})
        values[":member"] = MEMBER
    sets = ["#state = :next", "#answers = list_append(if_not_exists(#answers, :none), :answer)"]
    if due_at is not None:
        sets.append("#due = :due")
        names["#due"] = "dueAt"
        values[":due"] = due_at
    return _update(request_id, _Update(sets, condition, names, values))
