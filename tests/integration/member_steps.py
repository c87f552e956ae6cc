"""Shared steps of the member tests: verified verifications, signups, approvals, table scans.

A VERIFIED verification is made directly through ``partnercenter.dal.verifications`` (the
state the identity routes leave behind), so these tests do not depend on the vendor flow.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from partnercenter.clock import iso, utc_now
from partnercenter.dal import verifications
from partnercenter.hashing import person_hash
from partnercenter.identity.verified import secret_hash
from partnercenter.members.records import NewMember, new_member_writes
from partnercenter.policy import CURRENT_VERSION
from tests.integration.retention_support import Hook, change_profile_elsewhere, raw
from tests.support import api_event, call, claims_for

OPERATOR = claims_for("7f3c2a10-0000-4000-8000-00000000a001", groups=("privacy-admin",))
PASSWORD = "correct-horse-9"
# verificationId -> the verificationSecret its starter holds, as a client keeps it.
SECRETS: dict[str, str] = {}


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    ci: str

    @classmethod
    def new(cls, name: str = "김담당", phone: str = "01012345678") -> Person:
        return cls(name=name, phone=phone, ci="CI-" + uuid.uuid4().hex)


def verified(
    person: Person,
    *,
    purpose: str = "signup",
    member_id: str | None = None,
    under14: bool = False,
    age: timedelta = timedelta(0),
) -> str:
    """A VERIFIED verification of ``person``, as the identity routes leave it."""
    verification_id = str(uuid.uuid4())
    created = utc_now() - age
    tx = uuid.uuid4().hex[:20]
    secret = SECRETS[verification_id] = uuid.uuid4().hex + uuid.uuid4().hex
    verifications.put_pending(
        verifications.PendingVerification(
            verification_id=verification_id,
            purpose=purpose,
            member_id=member_id,
            vendor="kmc",
            vendor_tx_id=tx,
            secret_hash=secret_hash(secret),
            created_at=iso(created),
            expires_at=iso(created + timedelta(minutes=30)),
            expires_at_epoch=int((created + timedelta(days=1)).timestamp()),
        )
    )
    sealed = verifications.seal_identity(verification_id, person.name, person.phone)
    assert verifications.mark_verified(
        verification_id,
        tx,
        verifications.VerifiedFacts(
            verified_at=iso(created),
            under14=under14,
            person_hash=person_hash(person.ci),
            identity_enc=sealed,
        ),
    )
    return verification_id


def signup_body(person: Person, verification_id: str, login_id: str, **changes: Any) -> dict:
    body: dict[str, Any] = {
        "verificationId": verification_id,
        "verificationSecret": SECRETS.get(verification_id, "never-issued"),
        "loginId": login_id,
        "password": PASSWORD,
        "name": person.name,
        "phone": person.phone,
        "consents": {
            "required": {"policyVersion": CURRENT_VERSION, "agreed": True},
            "marketing": False,
        },
    }
    body.update(changes)
    return body


def sign_up(person: Person, login_id: str, headers: dict[str, str] | None = None) -> Any:
    body = signup_body(person, verified(person), login_id)
    return call("signup", api_event("signup", body=body, headers=headers))


def decide(member_id: str, decision: str, reason: str = "checked with the partner") -> Any:
    event = api_event(
        "admin-decision",
        body={"decision": decision, "reason": reason},
        claims=OPERATOR,
        path_params={"memberId": member_id},
    )
    return call("admin", event)


def active_member(person: Person, login_id: str) -> str:
    """Signed up and approved; returns the memberId."""
    result = sign_up(person, login_id)
    assert result.status == 201, result.body
    member_id = str(result.body["memberId"])
    assert decide(member_id, "approve").status == 200
    return member_id


def pending_member(index: int) -> str:
    """A member waiting for approval, stored as signup stores one (``manager<index>``)."""
    member_id = str(uuid.uuid4())
    member = NewMember(
        member_id=member_id,
        login_id=f"manager{index:02d}",
        name=f"담당자{index}",
        phone=f"010{index:08d}",
        person_hash=f"person-{index}-{member_id}",
        vendor="kmc",
        verified_at="2026-11-24T00:00:00Z",
        policy_version="2018-03-23",
        marketing=False,
        requested_at=datetime(2026, 11, 24, tzinfo=UTC) + timedelta(minutes=index),
    )
    new_member_writes(member).transaction().commit()
    return member_id


def scan_all_tables(stack: Any) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table in the emulation, by table name (tests only: scans)."""
    dynamodb = stack.client("dynamodb")
    everything: dict[str, list[dict[str, Any]]] = {}
    for table in dynamodb.list_tables()["TableNames"]:
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            items.extend(page["Items"])
        everything[table] = items
    return everything


def tables_text(stack: Any) -> str:
    """Every table's items as one text, to search for what must not be there."""
    return json.dumps(scan_all_tables(stack), ensure_ascii=False, default=repr)


@contextmanager
def before_call(service: str, operation: str, action: Callable[[], object]) -> Iterator[None]:
    """Run ``action`` once, just before the code's next ``operation`` call (a lost race)."""
    hook = Hook(operation, action, service=service)
    hook.install()
    try:
        yield
    finally:
        hook.uninstall()
    assert hook.fired, f"{operation} was never called"


def use_verification_elsewhere(verification_id: str) -> None:
    """Another request consumes the verification (as its own transaction would)."""
    consumed = verifications.consume_entry(verification_id, "2026-11-24T00:00:00Z")
    raw("dynamodb").update_item(**consumed.item["Update"])


def verification_used_meanwhile(verification_id: str) -> AbstractContextManager[None]:
    """The verification is consumed just before the code's next commit: a lost race for it."""
    return before_call(
        "dynamodb", "TransactWriteItems", lambda: use_verification_elsewhere(verification_id)
    )


def profile_changed_meanwhile(member_id: str) -> AbstractContextManager[None]:
    """The member's profile changes just before the code's next commit: a lost race."""
    return before_call(
        "dynamodb", "TransactWriteItems", lambda: change_profile_elsewhere(member_id)
    )
