"""Append and verify the access-record chain (R-SEC-2).

Each record holds who (actor and role), when, whose data (a pseudonym), what action and the
source IP, plus ``mac`` = HMAC(key, previous mac ‖ canonical record). Rewriting, removing or
reordering a record breaks every MAC after it, and only holders of the chain key can forge one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from partnercenter.clock import iso, utc_now
from partnercenter.config import get_settings
from partnercenter.crypto import chain_mac
from partnercenter.dal import access_records
from partnercenter.dal.aws import get_secret
from partnercenter.hashing import subject_pseudonym

if TYPE_CHECKING:
    from partnercenter.api import Caller

GENESIS = "genesis"
_MAX_ATTEMPTS = 20  # bounded retries when concurrent writers race for the next seq


class AccessRecordNotWritten(Exception):
    """The chain stayed contended; the caller's action must not proceed unrecorded."""


def _canonical(record: dict[str, Any]) -> str:
    fields = {k: record[k] for k in sorted(record) if k not in {"mac", "chain"}}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_access(
    *, actor: str, actor_role: str, member_id: str, action: str, source_ip: str = ""
) -> int:
    """Append one access record; returns its seq."""
    key = get_secret(get_settings().access_chain_secret)
    subject = subject_pseudonym(member_id)
    for _ in range(_MAX_ATTEMPTS):
        head = access_records.latest()
        record: dict[str, Any] = {
            "seq": (head["seq"] + 1) if head else 1,
            "at": iso(utc_now()),
            "actor": actor,
            "actorRole": actor_role,
            "subject": subject,
            "action": action,
            "sourceIp": source_ip,
            "prevMac": head["mac"] if head else GENESIS,
        }
        record["mac"] = chain_mac(key, record["prevMac"], _canonical(record))
        if access_records.append(record):
            return int(record["seq"])
    raise AccessRecordNotWritten()


def record_own_access(caller: Caller, action: str) -> int:
    """A member reading or changing their own data: they are both actor and subject."""
    return record_access(
        actor=caller.member_id,
        actor_role="member",
        member_id=caller.member_id,
        action=action,
        source_ip=caller.source_ip,
    )


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    records: int
    first_broken_seq: int | None = None


def verify_chain() -> ChainReport:
    """Walk the whole chain; the first record whose seq, link or MAC is off is reported."""
    key = get_secret(get_settings().access_chain_secret)
    previous_mac, expected_seq, count = GENESIS, None, 0
    for record in access_records.iterate():
        count += 1
        seq = int(record["seq"])
        if expected_seq is None:
            # Records older than the retention period may be gone; the chain starts at the first.
            expected_seq, previous_mac = seq, record.get("prevMac", GENESIS)
        if (
            seq != expected_seq
            or record.get("prevMac") != previous_mac
            or record.get("mac") != chain_mac(key, previous_mac, _canonical(record))
        ):
            return ChainReport(intact=False, records=count, first_broken_seq=seq)
        previous_mac, expected_seq = record["mac"], seq + 1
    return ChainReport(intact=True, records=count)


def record_mac(key: str, previous_mac: str, record: dict[str, Any]) -> str:
    """The MAC ``record`` must carry when it follows ``previous_mac`` (ranged verification)."""
    return chain_mac(key, previous_mac, _canonical(record))
