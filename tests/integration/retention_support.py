"""Helpers of the retention tests: active members, inspection outside the code's clients, hooks.

Members are shaped only by members.records.new_member_writes; the Cognito user comes first
(username = login ID) because its ``sub`` is the memberId.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from local.iam_check import acting_as
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item
from partnercenter.dal.members import ACTIVE
from partnercenter.hashing import subject_pseudonym
from partnercenter.members.records import NewMember, new_member_writes
from partnercenter.policy import CURRENT_VERSION
from tests.conftest import REGION
from tests.support import api_event, call, claims_for

_numbers = itertools.count(1)


@dataclass(frozen=True)
class ActiveMember:
    member_id: str
    login_id: str
    password: str
    name: str
    phone: str
    person_hash: str

    def claims(self, *, iat: int | None = None) -> dict[str, str]:
        issued = iat if iat is not None else int(datetime.now(UTC).timestamp())
        return claims_for(self.member_id, iat=issued)


def make_active_member(*, extra_consents: int = 0) -> ActiveMember:
    """An approved member with a Cognito account that can sign in, plus ``extra_consents``
    more consent-history records (as marketing toggles would leave)."""
    from partnercenter.dal.members import consent_record_item
    from partnercenter.members.records import consent_record

    number = next(_numbers)
    login_id = f"manager{number:04d}"
    password = "partner-pass-2026"
    pool = os.environ["USER_POOL_ID"]
    idp = client("cognito-idp")
    created = idp.admin_create_user(UserPoolId=pool, Username=login_id, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool, Username=login_id, Password=password, Permanent=True
    )
    sub = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
    member = ActiveMember(
        member_id=sub,
        login_id=login_id,
        password=password,
        name=f"김파트너{number}",
        phone=f"0109{number:07d}",
        person_hash=f"person-hash-{number}",
    )
    requested = datetime.now(UTC) - timedelta(days=30)
    writes = new_member_writes(
        NewMember(
            member_id=sub,
            login_id=login_id,
            name=member.name,
            phone=member.phone,
            person_hash=member.person_hash,
            vendor="kmc",
            verified_at="2026-01-01T00:00:00Z",
            policy_version=CURRENT_VERSION,
            marketing=False,
            requested_at=requested,
            status=ACTIVE,
        )
    )
    writes.transaction().commit()
    table = os.environ["MEMBERS_TABLE"]
    for start in range(0, extra_consents, 25):
        batch = [
            {
                "PutRequest": {
                    "Item": consent_record_item(
                        consent_record(
                            sub,
                            "marketing",
                            i % 2 == 0,
                            requested + timedelta(minutes=i + 1),
                            "web",
                            CURRENT_VERSION,
                        )
                    )
                }
            }
            for i in range(start, min(start + 25, extra_consents))
        ]
        client("dynamodb").batch_write_item(RequestItems={table: batch})
    return member


def can_sign_in(member: ActiveMember) -> bool:
    from botocore.exceptions import ClientError

    try:
        client("cognito-idp").initiate_auth(
            ClientId=os.environ["USER_POOL_CLIENT_ID"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": member.login_id, "PASSWORD": member.password},
        )
    except ClientError:
        return False
    return True


def scan_all(table_env: str) -> list[dict[str, Any]]:
    """Every item of a table (tests only: the code under test never scans)."""
    paginator = client("dynamodb").get_paginator("scan")
    return [
        item
        for page in paginator.paginate(TableName=os.environ[table_env])
        for item in page.get("Items", [])
    ]


def withdraw(member: ActiveMember, body: Any = None) -> Any:
    return call(
        "withdrawal",
        api_event("withdrawal", body={} if body is None else body, claims=member.claims()),
    )


def raw(service: str) -> Any:
    """A client outside the code's cache: no fault hooks, for inspection and rival writers."""
    return boto3.client(service, region_name=REGION)


def get(table_env: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item = (
        raw("dynamodb")
        .get_item(TableName=os.environ[table_env], Key=key, ConsistentRead=True)
        .get("Item")
    )
    return from_item(item) if item else None


def member_partition(member_id: str) -> list[dict[str, Any]]:
    return [
        from_item(i)
        for i in raw("dynamodb").query(
            TableName=os.environ["MEMBERS_TABLE"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"MEMBER#{member_id}"}},
            ConsistentRead=True,
        )["Items"]
    ]


def profile_of(member_id: str) -> dict[str, Any] | None:
    return get("MEMBERS_TABLE", {"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}})


def retained_of(member_id: str) -> dict[str, Any] | None:
    return get("RETAINED_TABLE", {"subject": {"S": member_id}})


def hold_rows(member_id: str) -> list[dict[str, Any]]:
    return [
        from_item(i)
        for i in raw("dynamodb").query(
            TableName=os.environ["HOLDS_TABLE"],
            KeyConditionExpression="subject = :s",
            ExpressionAttributeValues={":s": {"S": member_id}},
            ConsistentRead=True,
        )["Items"]
    ]


def pitr_days(stack: Any, logical_id: str) -> int:
    """The table's point-in-time-recovery window as the emulated DynamoDB reports it."""
    described = stack.client("dynamodb").describe_continuous_backups(
        TableName=stack.physical_id(logical_id)
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert described["PointInTimeRecoveryStatus"] == "ENABLED"
    return int(described["RecoveryPeriodInDays"])


def destruction_records_of(member_id: str) -> list[dict[str, Any]]:
    pseudonym = subject_pseudonym(member_id)
    return [
        r
        for r in (from_item(i) for i in scan_all("DESTRUCTION_RECORDS_TABLE"))
        if r["subject"] == pseudonym
    ]


def cognito_user(member: ActiveMember) -> dict[str, Any] | None:
    users = raw("cognito-idp").list_users(
        UserPoolId=os.environ["USER_POOL_ID"], Filter=f'sub = "{member.member_id}"'
    )["Users"]
    return users[0] if users else None


@dataclass
class Hook:
    """Runs ``action`` once, just before (or after) the first call of ``operation``."""

    operation: str
    action: Callable[[], object]
    when: str = "before-call"
    service: str = "dynamodb"
    fired: int = 0

    def __call__(self, **_: Any) -> None:
        if self.fired == 0:
            self.fired += 1
            with acting_as(None):  # a rival's call, not the handler's (local/iam_check.py)
                self.action()

    def _event(self) -> tuple[Any, str]:
        meta = client(self.service).meta
        # Events name the service by its id (cognito-idp's is cognito-identity-provider).
        service_id = meta.service_model.service_id.hyphenize()
        return meta.events, f"{self.when}.{service_id}.{self.operation}"

    def install(self) -> None:
        events, name = self._event()
        events.register(name, self)

    def uninstall(self) -> None:
        events, name = self._event()
        events.unregister(name, self)


def change_profile_elsewhere(member_id: str) -> None:
    """Another request changes the member's profile: its version moves on."""
    raw("dynamodb").update_item(
        TableName=os.environ["MEMBERS_TABLE"],
        Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET version = version + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
