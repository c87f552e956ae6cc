"""Withdrawal over the local stack: a member who joined through the real routes withdraws."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from partnercenter.clock import iso, parse_iso
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

NAME, PHONE, BIRTH = "한탈퇴", "01075319864", "19900102"
CI = "V2l0aGRyYXdhbF9lMmVfY2k" + "w" * 63 + "=="
LOGIN_ID, PASSWORD = "withdrawal.e2e", "withdrawal-pass-3"


def _request(
    method: str, url: str, body: Any = None, token: str | None = None, form: bool = False
) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = urlencode(body).encode() if form else json.dumps(body).encode()
        headers["Content-Type"] = (
            "application/x-www-form-urlencoded" if form else "application/json"
        )
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None


def _join(stack: LocalStack, operator_token: str) -> str:
    """Verify at the simulated vendor, sign up, get approved; the new memberId."""
    api = stack.api_url
    status, started = _request("POST", f"{api}/identity-verifications", {"purpose": "signup"})
    assert status == 201, started
    person = {"simName": NAME, "simPhone": PHONE, "simBirthDate": BIRTH, "simCi": CI}
    status, vendor = _request(
        "POST", started["actionUrl"], {**started["formFields"], **person}, form=True
    )
    assert status == 200, vendor
    status, done = _request("POST", vendor["callbackUrl"], vendor["fields"], form=True)
    assert status == 200, done
    status, policy = _request("GET", f"{api}/privacy-policy")
    signup = {
        "verificationId": started["verificationId"],
        "loginId": LOGIN_ID,
        "password": PASSWORD,
        "name": NAME,
        "phone": PHONE,
        "consents": {"required": {"policyVersion": policy["version"], "agreed": True}},
    }
    status, created = _request("POST", f"{api}/members", signup)
    assert status == 201, created
    member_id = str(created["memberId"])
    status, decided = _request(
        "POST",
        f"{api}/admin/members/{member_id}/decision",
        {"decision": "approve", "reason": "partner staff"},
        operator_token,
    )
    assert status == 200, decided
    return member_id


def _scan(stack: LocalStack, logical_id: str) -> list[dict[str, Any]]:
    """Every item of a table of the stack (the test's view from outside, never the code's)."""
    pages = (
        stack.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=f"partnercenter-{logical_id}")
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
    operator = f"operator-{uuid.uuid4().hex[:8]}"
    local_stack.create_user(operator, "operator-pass-1", groups=("privacy-admin",))
    operator_token = local_stack.sign_in(operator, "operator-pass-1")
    member_id = _join(local_stack, operator_token)
    token = local_stack.sign_in(LOGIN_ID, PASSWORD)
    assert _request("GET", f"{api}/members/me", token=token)[0] == 200

    status, answer = _request("POST", f"{api}/members/me/withdrawal", {}, token)

    assert status == 200, answer
    assert answer["status"] == "withdrawn"
    [retained] = answer["retained"]
    assert (retained["items"], retained["reason"]) == (["name", "phone"], "fraud_prevention")
    year_later = datetime.now(UTC) + timedelta(days=365)
    assert abs(parse_iso(retained["until"]) - year_later) < timedelta(days=1, minutes=5)

    # Signing in fails; the old token gets 401 on the profile; the withdrawal answers the same.
    with pytest.raises(ClientError) as refused_sign_in:
        local_stack.sign_in(LOGIN_ID, PASSWORD)
    # Real Cognito (PreventUserExistenceErrors) says NotAuthorized; moto says UserNotFound.
    assert refused_sign_in.value.response["Error"]["Code"] in {
        "NotAuthorizedException",
        "UserNotFoundException",
    }
    status, refused = _request("GET", f"{api}/members/me", token=token)
    assert (status, refused["code"]) == (401, "UNAUTHORIZED")
    assert _request("POST", f"{api}/members/me/withdrawal", {}, token) == (200, answer)

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
    status, records = _request(
        "GET",
        f"{api}/admin/destruction-records?"
        + urlencode({"from": iso(now - timedelta(minutes=10)), "to": iso(now)}),
        token=operator_token,
    )
    assert status == 200, records
    withdrawals = [r for r in records["items"] if r["reason"] == "withdrawal"]
    assert [r["items"] for r in withdrawals] == [["loginId", "consents"]]
    assert withdrawals[0]["subject"].startswith("subj-")
    assert member_id not in json.dumps(records)

    log = local_stack.log_text()
    assert "member withdrawn" in log
    for value in (NAME, PHONE, LOGIN_ID, PASSWORD):
        assert value not in log
