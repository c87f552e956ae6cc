"""The member and their data key in one BatchGetItem, for the routes that open personal data
(issue 17); the key read with the member serves that member only, for that request only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from partnercenter.config import get_settings
from partnercenter.dal import aws
from partnercenter.dal.member_reads import MAX_ATTEMPTS, ReadsUnprocessed, member_with_data_key
from partnercenter.members.vault import data_key_read_with_member, member_cipher
from tests.aws_calls import counting_calls
from tests.conftest import REGION
from tests.integration.retention_support import make_active_member
from tests.support import api_event, call


@pytest.fixture
def batch_requests() -> Iterator[list[dict[str, Any]]]:
    """The parameters of every BatchGetItem the code sends."""
    sent: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        sent.append(json.loads(json.dumps(params, default=str)))

    events = aws.client("dynamodb").meta.events
    events.register("provide-client-params.dynamodb.BatchGetItem", keep)
    yield sent
    events.unregister("provide-client-params.dynamodb.BatchGetItem", keep)


def _unprocessed_first(times: int) -> Any:
    """DynamoDB under throttling: the data key comes back unprocessed ``times`` times (moto's
    own answer, with the key moved from Responses to UnprocessedKeys)."""
    left = [times]

    def throttle(parsed: dict[str, Any], **_: Any) -> None:
        if left[0] == 0:
            return
        left[0] -= 1
        table = get_settings().data_keys_table
        items = parsed["Responses"].pop(table)
        keys = [{"subject": item["subject"]} for item in items]
        parsed["UnprocessedKeys"] = {table: {"Keys": keys, "ConsistentRead": True}}

    return throttle


def test_the_profile_reads_member_and_key_in_one_consistent_batch(aws_stack, batch_requests):
    member = make_active_member()
    result = call("profile", api_event("get-profile", claims=member.claims()))
    assert result.status == 200
    assert result.body["name"] == member.name
    settings = get_settings()
    assert len(batch_requests) == 1
    items = batch_requests[0]["RequestItems"]
    # Strongly consistent, as the single reads were: a withdrawal just committed shows.
    assert {table: read["ConsistentRead"] for table, read in items.items()} == {
        settings.members_table: True,
        settings.data_keys_table: True,
    }


def test_a_shredded_key_still_ends_the_session(aws_stack) -> None:
    member = make_active_member()
    aws.client("dynamodb").delete_item(
        TableName=get_settings().data_keys_table, Key={"subject": {"S": member.member_id}}
    )
    assert member_with_data_key(member.member_id).data_key.wrapped is None
    result = call("profile", api_event("get-profile", claims=member.claims()))
    assert (result.status, result.body["code"]) == (401, "UNAUTHORIZED")


def test_unprocessed_keys_are_asked_again(aws_stack) -> None:
    member = make_active_member()
    with counting_calls(REGION) as calls:
        aws.client("dynamodb").meta.events.register(
            "after-call.dynamodb.BatchGetItem", _unprocessed_first(1)
        )
        read = member_with_data_key(member.member_id)
        assert calls.calls["dynamodb.BatchGetItem"] == 2
    assert read.member is not None
    assert read.member.member_id == member.member_id
    assert read.data_key.wrapped is not None  # not taken for shredded


def test_keys_left_unprocessed_after_every_attempt_are_an_error_not_a_shredded_key(
    aws_stack,
) -> None:
    member = make_active_member()
    with counting_calls(REGION) as calls:
        aws.client("dynamodb").meta.events.register(
            "after-call.dynamodb.BatchGetItem", _unprocessed_first(MAX_ATTEMPTS)
        )
        with pytest.raises(ReadsUnprocessed):
            member_with_data_key(member.member_id)
        assert calls.calls["dynamodb.BatchGetItem"] == MAX_ATTEMPTS


def test_the_key_read_with_the_member_serves_that_member_for_that_request(aws_stack) -> None:
    member, other = make_active_member(), make_active_member()
    read = member_with_data_key(member.member_id)
    with counting_calls(REGION) as calls:
        with data_key_read_with_member(read.data_key):
            assert member_cipher(member.member_id) is not None
            assert calls.calls["dynamodb.GetItem"] == 0
            # Another member's key is read as ever, never taken from the caller's.
            other_cipher = member_cipher(other.member_id)
            assert other_cipher is not None
            assert calls.calls["dynamodb.GetItem"] == 1
        # The request is over: the key is read again (a shredding since shows).
        member_cipher(member.member_id)
        assert calls.calls["dynamodb.GetItem"] == 2
