"""Active members and callers for the rights tests, shaped only by members.records."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from partnercenter.audit.access_records import GENESIS, sign
from partnercenter.clock import iso_micro, utc_now
from partnercenter.config import get_settings
from partnercenter.dal import access_records
from partnercenter.dal.access_records import AccessRecord
from partnercenter.dal.aws import client, get_secret
from partnercenter.dal.members import ACTIVE
from partnercenter.members.records import NewMember, new_member_writes
from partnercenter.models import Caller
from partnercenter.policy import CURRENT_VERSION
from tests.support import claims_for

OPERATOR_ID = "op-privacy-1"
OPERATOR = claims_for(OPERATOR_ID, groups=("privacy-admin",))
OPERATOR_CALLER = Caller(OPERATOR_ID, ("privacy-admin",), 0, "203.0.113.10")
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Member:
    member_id: str
    login_id: str
    name: str
    phone: str

    @property
    def claims(self) -> dict[str, str]:
        return claims_for(self.member_id, iat=int(datetime.now(UTC).timestamp()))

    @property
    def caller(self) -> Caller:
        return Caller(self.member_id, (), int(datetime.now(UTC).timestamp()), "198.51.100.7")


def active_member(policy_version: str = CURRENT_VERSION) -> Member:
    number = next(_numbers)
    member = Member(
        member_id=str(uuid.uuid4()),
        login_id=f"rights{number:04d}",
        name=f"이권리{number}",
        phone=f"0107{number:07d}",
    )
    writes = new_member_writes(
        NewMember(
            member_id=member.member_id,
            login_id=member.login_id,
            name=member.name,
            phone=member.phone,
            person_hash=f"rights-person-{number}-{uuid.uuid4()}",
            vendor="kmc",
            verified_at="2026-11-01T00:00:00Z",
            policy_version=policy_version,
            marketing=False,
            requested_at=datetime.now(UTC) - timedelta(days=40),
            status=ACTIVE,
        )
    )
    writes.transaction().commit()
    return member


def access_records_in_order() -> list[dict[str, Any]]:
    """Every access record of every chain as stored, in the order written (``at``, to the
    microsecond)."""
    from partnercenter.dal.codec import from_item

    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=get_settings().access_records_table)
    )
    items = [from_item(item) for page in pages for item in page.get("Items", [])]
    return sorted(items, key=lambda r: str(r["at"]))


def access_actions(subject_member_id: str) -> list[str]:
    """The actions of the access records about one member, in the order written."""
    from partnercenter.hashing import subject_pseudonym

    subject = subject_pseudonym(subject_member_id)
    return [r["action"] for r in access_records_in_order() if r["subject"] == subject]


def next_record_of_another_writer(chain: str) -> AccessRecord:
    """The signed record another writer would append next to ``chain``, after its head."""
    head = access_records.latest(chain)
    record = AccessRecord(
        chain=chain,
        seq=head.seq + 1 if head else 1,
        at=iso_micro(utc_now()),
        actor="op-rival",
        actor_role="operator",
        subject="subj-rival",
        action="view_member",
        source_ip="",
        prev_mac=head.mac if head else GENESIS,
    )
    return sign(get_secret(get_settings().access_chain_secret), record)
