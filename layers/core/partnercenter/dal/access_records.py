"""AccessRecordsTable: several append-only chains (``chain`` = ``access#0`` ...), each
record's seq one above the last of its chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.pagination import token_refused


def latest(chain: str) -> dict[str, Any] | None:
    """The chain's head: its record with the highest seq."""
    answer = client("dynamodb").query(
        TableName=get_settings().access_records_table,
        KeyConditionExpression="chain = :c",
        ExpressionAttributeValues={":c": {"S": chain}},
        ScanIndexForward=False,
        Limit=1,
        ConsistentRead=True,
    )
    items = answer.get("Items", [])
    return from_item(items[0]) if items else None


def get(chain: str, seq: int) -> dict[str, Any] | None:
    answer = client("dynamodb").get_item(
        TableName=get_settings().access_records_table,
        Key={"chain": {"S": chain}, "seq": {"N": str(seq)}},
        ConsistentRead=True,
    )
    return from_item(answer["Item"]) if "Item" in answer else None


def append(record: dict[str, Any]) -> bool:
    """Store ``record`` (it names its chain) unless its seq is taken: another writer won."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").put_item(
            TableName=get_settings().access_records_table,
            Item=to_item(record),
            ConditionExpression="attribute_not_exists(seq)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def iterate(
    chain: str, after_seq: int = 0, through_seq: int | None = None
) -> Iterator[dict[str, Any]]:
    """The chain's records above ``after_seq`` (up to ``through_seq``), in seq order."""
    condition, values = "chain = :c AND seq > :s", {":s": {"N": str(after_seq)}}
    if through_seq is not None:
        condition = "chain = :c AND seq BETWEEN :s AND :t"
        values = {":s": {"N": str(after_seq + 1)}, ":t": {"N": str(through_seq)}}
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=get_settings().access_records_table,
        KeyConditionExpression=condition,
        ExpressionAttributeValues={":c": {"S": chain}, **values},
        ConsistentRead=True,
    )
    for page in pages:
        for item in page.get("Items", []):
            yield from_item(item)


# ---------------------------------------------------------------- a member's own history
# GSI bySubject (subject, at) projects only the role and the action besides the keys: the
# actor's id and the source IP cannot reach a member through it (R-SEC-2).
SUBJECT_INDEX = "bySubject"
_SUBJECT_START = {"subject", "at", "chain", "seq"}
_MAX_START_TEXT = 128  # far above any chain name or micro-second time this table holds


@dataclass(frozen=True)
class SubjectAccess:
    """One access record as its subject sees it: when, the actor's role, the action."""

    at: str
    actor_role: str
    action: str


@dataclass(frozen=True)
class SubjectAccessPage:
    items: tuple[SubjectAccess, ...]
    last_key: dict[str, Any] | None  # the position to resume from, for a sealed page token


def _text(typed: object, kind: str = "S") -> str | None:
    if not isinstance(typed, dict) or set(typed) != {kind}:
        return None
    value = typed[kind]
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_START_TEXT else None


def _subject_start(subject: str, key: dict[str, Any] | None) -> dict[str, Any] | None:
    """``key`` if it is a position of this subject's query (the index's and the table's keys);
    else a 422, as real DynamoDB would refuse it where moto forgives."""
    if key is None:
        return None
    seq = _text(key.get("seq"), "N") if set(key) == _SUBJECT_START else None
    if (
        seq is None
        or not seq.isdigit()
        or _text(key["subject"]) != subject
        or _text(key["at"]) is None
        or _text(key["chain"]) is None
    ):
        raise token_refused()
    return key


def query_by_subject(
    subject: str, limit: int, start_key: dict[str, Any] | None
) -> SubjectAccessPage:
    """One page of the records whose subject is ``subject``, newest first."""
    params: dict[str, Any] = {
        "TableName": get_settings().access_records_table,
        "IndexName": SUBJECT_INDEX,
        "KeyConditionExpression": "subject = :s",
        "ExpressionAttributeValues": {":s": {"S": subject}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if _subject_start(subject, start_key):
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    items = tuple(
        SubjectAccess(
            at=str(row["at"]), actor_role=str(row["actorRole"]), action=str(row["action"])
        )
        for row in map(from_item, answer.get("Items", []))
    )
    return SubjectAccessPage(items, answer.get("LastEvaluatedKey"))
