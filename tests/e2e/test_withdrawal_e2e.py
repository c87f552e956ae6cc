"""Withdrawal over the local stack: a member who joined through the real routes withdraws."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from local.provision import STACK_NAME
from partnercenter.clock import parse_iso
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

NAME, PHONE = "한탈퇴", "01075319864"


def _scan(stack: LocalStack, logical_id: str) -> list[dict[str, Any]]:
    """Every item of a table of the stack (the test's view from outside, never the code's)."""
    pages = (
        stack.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=f"{STACK_NAME}-{logical_id}")
    )
    return [item for page in pages for item in page.get("Items", [])]


def _open_retained(stack: LocalStack, member_id: str, field: str, token: str) -> str:
    """Open a retained field as only a holder of RetainedKey could (the tests' own client)."""
    subject = f"retained:{member_id}"
    key_item = next(i for i in _scan(stack, "DataKeysTable") if i["subject"]["S"] == subject)
    data_key = stack.client("kms").decrypt(
        CiphertextBlob=key_item["wrappedKey"]["B"],
        EncryptionContext={"subject": subject, "purpose": "retained-data"},
    )["Plaintext"]
    raw = base64.b64decode(token)
    return AESGCM(data_key).decrypt(raw[:12], raw[12:], f"{subject}|{field}".encode()).decode()


# R-RIGHT-2, R-RIGHT-5, R-RET-1, R-RET-2, R-RET-5, R-RET-6, R-RET-7, R-SEC-3
def test_a_member_withdraws_and_only_name_and_phone_stay_sealed_apart(
    local_stack: LocalStack,
) -> None:
    api = local_stack.api_url
    operator_token = lifecycle.operator_token(local_stack)
    who = lifecycle.person("withdrawal", NAME, PHONE)
    member = lifecycle.active_member(local_stack, operator_token, who)
    member_id, token = member.member_id, member.token
    assert lifecycle.http("GET", f"{api}/members/me", token=token)[0] == 200

    # The stack is shared: other tests' withdrawals happened before this one started.
    started = datetime.now(UTC).replace(microsecond=0)
    status, answer = lifecycle.http("POST", f"{api}/members/me/withdrawal", {}, token)

    assert status == 200, answer
    assert answer["status"] == "withdrawn"
    [retained] = answer["retained"]
    assert (retained["items"], retained["reason"]) == (["name", "phone"], "fraud_prevention")
    year_later = datetime.now(UTC) + timedelta(days=365)
    assert abs(parse_iso(retained["until"]) - year_later) < timedelta(days=1, minutes=5)

    # Signing in fails; the old token gets 401 on the profile; the withdrawal answers the same.
    # Real Cognito (PreventUserExistenceErrors) says NotAuthorized; moto says UserNotFound.
    assert lifecycle.refused_sign_in(local_stack, who) in {
        "NotAuthorizedException",
        "UserNotFoundException",
    }
    status, refused = lifecycle.http("GET", f"{api}/members/me", token=token)
    assert (status, refused["code"]) == (401, "UNAUTHORIZED")
    assert lifecycle.http("POST", f"{api}/members/me/withdrawal", {}, token) == (200, answer)

    # The members table holds nothing of them.
    assert [i for i in _scan(local_stack, "MembersTable") if member_id in json.dumps(i)] == []
    # Separated storage holds only name and phone, sealed under the retained key.
    [record] = [i for i in _scan(local_stack, "RetainedTable") if i["subject"]["S"] == member_id]
    assert not {"loginIdEnc", "loginIdHash", "personHash"} & set(record)
    assert NAME not in json.dumps(record, ensure_ascii=False)
    assert PHONE not in json.dumps(record)
    assert _open_retained(local_stack, member_id, "name", record["nameEnc"]["S"]) == NAME
    assert _open_retained(local_stack, member_id, "phone", record["phoneEnc"]["S"]) == PHONE
    # The live data key is shredded (R-RET-6).
    assert [i for i in _scan(local_stack, "DataKeysTable") if i["subject"]["S"] == member_id] == []

    # A destruction record lists what was destroyed, under a pseudonym (R-RET-7).
    now = datetime.now(UTC)
    records = lifecycle.destruction_records(local_stack, operator_token, started, now)
    withdrawals = [r for r in records["items"] if r["reason"] == "withdrawal"]
    assert [r["items"] for r in withdrawals] == [["loginId", "consents"]]
    assert withdrawals[0]["subject"].startswith("subj-")
    assert member_id not in json.dumps(records)

    log = local_stack.log_text()
    assert "member withdrawn" in log
    for value in (NAME, PHONE, who.login_id, who.password):
        assert value not in log
