"""local/iam_check.py: what each AWS call needs, and moto's evaluator holding it to the role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local import iam_check
from local.iam_check import Access, World

REGION = "ap-northeast-2"
DYNAMODB_VIA = f"dynamodb.{REGION}.amazonaws.com"
SECRETS_VIA = f"secretsmanager.{REGION}.amazonaws.com"


@pytest.fixture
def world(aws_stack: Any) -> World:
    return iam_check.build_world(aws_stack.provisioned)


def _arn(aws_stack: Any, logical_id: str) -> str:
    return str(aws_stack.provisioned.attribute(logical_id, "Arn"))


def test_a_transaction_needs_each_items_action_and_the_tables_keys(aws_stack, world) -> None:
    members, data_keys = (aws_stack.physical_id(t) for t in ("MembersTable", "DataKeysTable"))
    needed = iam_check.needed(
        world,
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": members, "Item": {}}},
                {"Update": {"TableName": members, "Key": {}}},
                {"Delete": {"TableName": data_keys, "Key": {}}},
                {"ConditionCheck": {"TableName": data_keys, "Key": {}}},
            ]
        },
    )
    members_arn, data_keys_arn = _arn(aws_stack, "MembersTable"), _arn(aws_stack, "DataKeysTable")
    assert needed == [
        Access("dynamodb:PutItem", members_arn),
        Access("dynamodb:UpdateItem", members_arn),
        Access("dynamodb:DeleteItem", data_keys_arn),
        Access("dynamodb:ConditionCheckItem", data_keys_arn),
        # Both tables are under MembersKey: one decrypt, through DynamoDB.
        Access("kms:Decrypt", _arn(aws_stack, "MembersKey"), DYNAMODB_VIA),
    ]


def test_an_index_query_needs_the_index_arn_and_the_tables_key(aws_stack, world) -> None:
    needed = iam_check.needed(
        world,
        "dynamodb",
        "Query",
        {"TableName": aws_stack.physical_id("RetainedTable"), "IndexName": "byPhoneHash"},
    )
    assert needed == [
        Access("dynamodb:Query", _arn(aws_stack, "RetainedTable") + "/index/byPhoneHash"),
        Access("kms:Decrypt", _arn(aws_stack, "RetainedKey"), DYNAMODB_VIA),
    ]


def test_batches_need_the_batch_action_on_every_table(aws_stack, world) -> None:
    tables = [aws_stack.physical_id(t) for t in ("NoticesTable", "NoticeDeliveriesTable")]
    needed = iam_check.needed(
        world, "dynamodb", "BatchWriteItem", {"RequestItems": {t: [] for t in tables}}
    )
    assert [a.action for a in needed] == ["dynamodb:BatchWriteItem"] * 2 + ["kms:Decrypt"]
    assert {a.resource for a in needed[:2]} == {
        _arn(aws_stack, "NoticesTable"),
        _arn(aws_stack, "NoticeDeliveriesTable"),
    }


def test_a_secret_read_needs_its_key_through_secrets_manager(aws_stack, world) -> None:
    secret_arn = aws_stack.physical_id("VendorSecret")
    name = secret_arn.split(":secret:")[1].rsplit("-", 1)[0]
    for secret_id in (secret_arn, name):
        assert iam_check.needed(
            world, "secretsmanager", "GetSecretValue", {"SecretId": secret_id}
        ) == [
            Access("secretsmanager:GetSecretValue", secret_arn),
            Access("kms:Decrypt", _arn(aws_stack, "MembersKey"), SECRETS_VIA),
        ]


def test_keys_pools_and_text_messages_resolve_to_what_iam_checks(aws_stack, world) -> None:
    key_id = aws_stack.physical_id("MembersKey")
    assert iam_check.needed(world, "kms", "GenerateDataKey", {"KeyId": key_id}) == [
        Access("kms:GenerateDataKey", _arn(aws_stack, "MembersKey"))
    ]
    pool = aws_stack.physical_id("UserPool")
    assert iam_check.needed(world, "cognito-idp", "ListUsers", {"UserPoolId": pool}) == [
        Access("cognito-idp:ListUsers", _arn(aws_stack, "UserPool"))
    ]
    # A phone number has no ARN; a topic does (and is what the template's Deny refuses).
    assert iam_check.needed(world, "sns", "Publish", {"PhoneNumber": "+821012345678"}) == [
        Access("sns:Publish", "*")
    ]
    topic = f"arn:aws:sns:{REGION}:123456789012:everyone"
    assert iam_check.needed(world, "sns", "Publish", {"TopicArn": topic}) == [
        Access("sns:Publish", topic)
    ]


def test_an_explicit_deny_wins_over_an_allow() -> None:
    statements = [
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"},
        {"Effect": "Deny", "Action": "sns:Publish", "Resource": "arn:aws:sns:*:*:*"},
    ]
    assert iam_check.allowed(statements, Access("sns:Publish", "*"))
    assert not iam_check.allowed(
        statements, Access("sns:Publish", f"arn:aws:sns:{REGION}:123456789012:everyone")
    )
    assert not iam_check.allowed(statements[:1], Access("sns:CreateTopic", "*"))


def test_a_via_service_condition_admits_only_that_service() -> None:
    key = f"arn:aws:kms:{REGION}:123456789012:key/k"
    via_secrets = {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": SECRETS_VIA}},
    }
    assert iam_check.allowed([via_secrets], Access("kms:Decrypt", key, SECRETS_VIA))
    assert not iam_check.allowed([via_secrets], Access("kms:Decrypt", key, DYNAMODB_VIA))
    assert not iam_check.allowed([via_secrets], Access("kms:Decrypt", key))  # a direct call
    # moto answers DENIED for an Allow whose condition fails: it must not veto another Allow.
    direct = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}
    assert iam_check.allowed([via_secrets, direct], Access("kms:Decrypt", key))


def test_roles_the_check_cannot_evaluate_are_refused() -> None:
    with pytest.raises(iam_check.IamCheckError):
        iam_check._checked("F", {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})
    with pytest.raises(iam_check.IamCheckError):
        iam_check._checked(
            "F",
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringLike": {"kms:ViaService": "*"}},
            },
        )


@pytest.fixture
def enforcing(world: World) -> Iterator[None]:
    iam_check.activate(world, enforce=True, record=False)  # deliberate refusals: no report
    yield
    iam_check.activate(world, enforce=False)
    iam_check.drain()  # the refusals below are this test's subject, not a failure


def test_the_local_stack_refuses_a_call_outside_the_role_before_sending(
    aws_stack, enforcing
) -> None:
    members = aws_stack.client("dynamodb")
    table = aws_stack.physical_id("MembersTable")
    # PolicyFunction reads published policy versions and announcements only.
    with iam_check.acting_as("PolicyFunction"), pytest.raises(ClientError) as refused:
        members.delete_item(TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:DeleteItem" in refused.value.response["Error"]["Message"]
    # Outside a handler nothing is attributed, so nothing is refused.
    members.delete_item(TableName=table, Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
    calls = iam_check.drain()
    assert [(c.function, c.action, c.allowed) for c in calls if c.action.startswith("dyn")] == [
        ("PolicyFunction", "dynamodb:DeleteItem", False)
    ]


def test_records_hold_template_terms_and_add_up_across_runs(aws_stack, world, tmp_path) -> None:
    table = aws_stack.physical_id("PolicyVersionsTable")
    with iam_check.acting_as("PolicyFunction"):
        aws_stack.client("dynamodb").query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "policy"}},
        )
    calls = iam_check.drain()
    assert {(c.action, c.symbolic, c.allowed) for c in calls} >= {
        ("dynamodb:Query", "<PolicyVersionsTable.Arn>", True)
    }
    used = iam_check.grants(world)
    idle = set(iam_check.unexercised(world, calls))
    query = iam_check.Grant("PolicyFunction", "dynamodb:Query", "<PolicyVersionsTable.Arn>")
    assert query in used
    assert query not in idle
