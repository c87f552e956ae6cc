"""AccessRecordsTable: several append-only chains (``chain`` = ``access#0`` ...), each
record's seq one above the last of its chain. Domain code sees ``AccessRecord``.

The record this container last wrote is kept (``last_written``): its writer appends the next
one after it without reading the chain's head first. ``dal.aws.reset()`` (a fresh AWS world)
and a SnapStart restore forget it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.pagination import token_refused
from partnercenter.dal.transactions import Entry, Transaction, TransactionCancelled


def canonical(values: dict[str, Any]) -> str:
    """The text a chain MAC covers: every stored attribute but ``mac``, in a fixed order."""
    fields = {k: values[k] for k in sorted(values) if k != "mac"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AccessRecord:
    """Who (actor and role) did what (action) to whose data (a pseudonym), when, from where;
    ``mac`` chains it to the record before (``prev_mac``)."""

    chain: str
    seq: int
    at: str
    actor: str
    actor_role: str
    subject: str
    action: str
    source_ip: str
    prev_mac: str
    mac: str = ""
    # As read: the text of the item as stored (any attribute added to it included), so that a
    # changed item never verifies. Not copied by ``replace``: a changed record is signed anew.
    stored_text: str | None = field(default=None, init=False, compare=False, repr=False)

    def signed_text(self) -> str:
        """What the record's ``mac`` covers."""
        return self.stored_text if self.stored_text is not None else canonical(_values(self))


def _values(record: AccessRecord) -> dict[str, Any]:
    values = {
        "chain": record.chain,
        "seq": record.seq,
        "at": record.at,
        "actor": record.actor,
        "actorRole": record.actor_role,
        "subject": record.subject,
        "action": record.action,
        "sourceIp": record.source_ip,
        "prevMac": record.prev_mac,
    }
    return {**values, "mac": record.mac} if record.mac else values


def _record(item: dict[str, Any]) -> AccessRecord:
    values = from_item(item)
    # Read leniently: an attribute removed or retyped shows as a MAC that does not match.
    record = AccessRecord(
        chain=str(values["chain"]),
        seq=int(values["seq"]),
        at=str(values.get("at", "")),
        actor=str(values.get("actor", "")),
        actor_role=str(values.get("actorRole", "")),
        subject=str(values.get("subject", "")),
        action=str(values.get("action", "")),
        source_ip=str(values.get("sourceIp", "")),
        prev_mac=str(values.get("prevMac", "")),
        mac=str(values.get("mac", "")),
    )
    object.__setattr__(record, "stored_text", canonical(values))
    return record


def latest(chain: str) -> AccessRecord | None:
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
    return _record(items[0]) if items else None


def get(chain: str, seq: int) -> AccessRecord | None:
    answer = client("dynamodb").get_item(
        TableName=get_settings().access_records_table,
        Key={"chain": {"S": chain}, "seq": {"N": str(seq)}},
        ConsistentRead=True,
    )
    return _record(answer["Item"]) if "Item" in answer else None


def put_entry(record: AccessRecord) -> Entry:
    """``record`` as a transaction's write, refused if its seq is taken (another writer won)."""
    return Entry(
        {
            "Put": {
                "TableName": get_settings().access_records_table,
                "Item": to_item(_values(record)),
                "ConditionExpression": "attribute_not_exists(seq)",
            }
        }
    )


# The record's entry name in a transaction that carries other writes along.
ACCESS_RECORD = "access_record"


class _LastWritten(threading.local):
    """Per thread: a Lambda container serves one request at a time, and threads of one
    process (the bench's writers) each play one container."""

    record: AccessRecord | None = None
    generation = 0


_last = _LastWritten()
# Bumped to forget every thread's record at once (reset, restore).
_generation = [0]


def last_written() -> AccessRecord | None:
    """The record this container last wrote, unless forgotten since."""
    return _last.record if _last.generation == _generation[0] else None


def forget_last_written() -> None:
    _generation[0] += 1


def _remember(record: AccessRecord) -> None:
    _last.record, _last.generation = record, _generation[0]


def append(record: AccessRecord, along: Transaction | None = None) -> bool:
    """Store ``record`` (it names its chain) unless its seq is taken: another writer won.

    ``along``'s entries are written with it in one transaction, or not at all: False when only
    the record's own condition failed; ``TransactionCancelled`` when one of ``along``'s did."""
    from botocore.exceptions import ClientError

    entry = put_entry(record)
    if along is not None and len(along):
        try:
            Transaction().add(ACCESS_RECORD, entry).add_all(along).commit()
        except TransactionCancelled as cancelled:
            if cancelled.failed(ACCESS_RECORD) and all(
                code == "None" for name, code in cancelled.reasons.items() if name != ACCESS_RECORD
            ):
                return False
            raise
    else:
        try:
            client("dynamodb").put_item(**entry.item["Put"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
    _remember(record)
    return True


def iterate(
    chain: str, after_seq: int = 0, through_seq: int | None = None
) -> Iterator[AccessRecord]:
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
            yield _record(item)


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
