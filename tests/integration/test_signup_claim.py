"""A signup's claim holds its login ID sealed under a key derived from the lookup-hash secret
(docs/signup.md): no KMS call, opened only by the claim of that login ID, and a claim that does
not open never stops the reconciler."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from partnercenter.clock import iso_micro, utc_now
from partnercenter.crypto import UnreadableCiphertext
from partnercenter.dal import cognito, intents
from partnercenter.dal import members as members_dal
from partnercenter.dal.aws import client
from partnercenter.hashing import login_id_hash
from partnercenter.reconciler import reconcile
from tests.conftest import AwsStack
from tests.integration.member_steps import PASSWORD


def _claim(login_hash: str, sealed: bytes) -> None:
    # A claim made a while ago by a signup that died (older than the in-flight window).
    since = iso_micro(utc_now() - intents.IN_FLIGHT_WINDOW - timedelta(minutes=1)) + "#dead"
    assert intents.claim_login_id(login_hash, sealed, since, None, iso_micro(utc_now()))


def _guard(stack: AwsStack, login_hash: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        stack.client("dynamodb")
        .get_item(
            TableName=stack.physical_id("MembersTable"),
            Key=members_dal.login_id_guard_key(login_hash),
        )
        .get("Item")
    )
    return item


def test_the_sealed_login_id_opens_for_its_own_hash_only(aws_stack: AwsStack) -> None:
    # R-SEC-1: the login ID in a claim is sealed, bound to its login-ID hash.
    login_hash, other_hash = login_id_hash("manager.kim"), login_id_hash("manager.lee")
    sealed = intents.seal_login_id(login_hash, "manager.kim")
    assert b"manager.kim" not in sealed
    assert intents.open_login_id(login_hash, sealed) == "manager.kim"
    with pytest.raises(UnreadableCiphertext):
        intents.open_login_id(other_hash, sealed)
    altered = bytearray(sealed)
    altered[-1] ^= 1
    with pytest.raises(UnreadableCiphertext):
        intents.open_login_id(login_hash, bytes(altered))


def test_sealing_and_opening_call_no_aws(aws_stack: AwsStack) -> None:
    # The secret is already cached once the login ID's hash was computed: no round trip left.
    login_hash = login_id_hash("manager.kim")
    calls: list[str] = []

    def count(event_name: str, **_: Any) -> None:
        calls.append(event_name)

    for service in ("kms", "secretsmanager"):
        client(service).meta.events.register("before-call", count)
    try:
        sealed = intents.seal_login_id(login_hash, "manager.kim")
        assert intents.open_login_id(login_hash, sealed) == "manager.kim"
    finally:
        for service in ("kms", "secretsmanager"):
            client(service).meta.events.unregister("before-call", count)
    assert calls == []


def test_the_reconciler_deletes_the_orphan_of_a_sealed_claim(aws_stack: AwsStack) -> None:
    login_hash = login_id_hash("manager.kim")
    _claim(login_hash, intents.seal_login_id(login_hash, "manager.kim"))
    cognito.create_disabled_user("manager.kim", PASSWORD)
    report = reconcile(utc_now(), lambda: False)
    assert (report.orphans_deleted, report.settled) == (1, 1)
    assert cognito.sub_of("manager.kim") is None
    assert _guard(aws_stack, login_hash) is None


def test_a_claim_that_does_not_open_is_released_and_the_run_goes_on(
    aws_stack: AwsStack, caplog: pytest.LogCaptureFixture
) -> None:
    # An altered claim (or one sealed otherwise) names no username: the reconciler cannot
    # delete its account, but neither may it stop there, run after run.
    kim, lee = login_id_hash("manager.kim"), login_id_hash("manager.lee")
    _claim(kim, intents.seal_login_id(lee, "manager.lee"))  # another hash's seal
    _claim(lee, intents.seal_login_id(lee, "manager.lee"))
    cognito.create_disabled_user("manager.kim", PASSWORD)
    cognito.create_disabled_user("manager.lee", PASSWORD)
    report = reconcile(utc_now(), lambda: False)
    assert (report.orphans_deleted, report.settled) == (1, 2)
    assert _guard(aws_stack, kim) is None
    assert _guard(aws_stack, lee) is None
    assert cognito.sub_of("manager.kim") is not None  # left: a signup of it replaces it
    assert cognito.sub_of("manager.lee") is None
    assert "signup claim unreadable" in caplog.text
    assert "manager" not in caplog.text  # R-SEC-3
