"""DynamoDB's hard limits hold in moto as in DynamoDB (local/dynamodb_limits.py).

Each over-limit request gets DynamoDB's ValidationException (or, inside a transaction, its
cancellation reason) with DynamoDB's message, and the largest request within the limit passes,
so the checks are neither missing nor too strict. The sources are in docs/aws-limits.md.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local.dynamodb_limits import (
    HASH_KEY_TOO_LONG,
    RANGE_KEY_TOO_LONG,
    TRANSACTION_TOO_LARGE,
    attribute_value_size,
    enforce_dynamodb_limits,
    item_size,
    oversized_key_message,
)
from tests.conftest import REGION

HASH_ONLY, COMPOSITE = "limits-hash", "limits-composite"
LONG_HASH = "a" * 2049
LONG_RANGE = "b" * 1025
ITEM_TOO_LARGE = "Item size has exceeded the maximum allowed size"


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=HASH_ONLY,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName=COMPOSITE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "gk", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byGk",
                    "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    response: dict[str, Any] = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return response


def validation_message(call: Callable[[], Any]) -> str:
    error = refused(call)["Error"]
    assert error["Code"] == "ValidationException"
    return str(error["Message"])


def composite_key(pk: str = "p", sk: str = "s") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


# ---- keys: every operation that takes one -------------------------------------------------
KEY_OPERATIONS: dict[str, Callable[[Any, dict[str, Any], str], Any]] = {
    "GetItem": lambda c, key, table: c.get_item(TableName=table, Key=key),
    "DeleteItem": lambda c, key, table: c.delete_item(TableName=table, Key=key),
    "UpdateItem": lambda c, key, table: c.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
    ),
    "PutItem": lambda c, key, table: c.put_item(TableName=table, Item=key),
    "BatchGetItem": lambda c, key, table: c.batch_get_item(RequestItems={table: {"Keys": [key]}}),
    "BatchWriteItem.Delete": lambda c, key, table: c.batch_write_item(
        RequestItems={table: [{"DeleteRequest": {"Key": key}}]}
    ),
    "BatchWriteItem.Put": lambda c, key, table: c.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": key}}]}
    ),
    "TransactGetItems": lambda c, key, table: c.transact_get_items(
        TransactItems=[{"Get": {"TableName": table, "Key": key}}]
    ),
}


@pytest.mark.parametrize("operation", KEY_OPERATIONS)
def test_an_oversized_partition_key_is_refused_on_every_key_operation(
    ddb: Any, operation: str
) -> None:
    call = KEY_OPERATIONS[operation]
    long_key = {"pk": {"S": LONG_HASH}}
    assert validation_message(lambda: call(ddb, long_key, HASH_ONLY)) == HASH_KEY_TOO_LONG
    call(ddb, {"pk": {"S": "a" * 2048}}, HASH_ONLY)  # the limit itself is allowed


@pytest.mark.parametrize("operation", KEY_OPERATIONS)
def test_an_oversized_sort_key_is_refused_on_every_key_operation(ddb: Any, operation: str) -> None:
    call = KEY_OPERATIONS[operation]
    long_key = composite_key(sk=LONG_RANGE)
    assert validation_message(lambda: call(ddb, long_key, COMPOSITE)) == RANGE_KEY_TOO_LONG
    call(ddb, composite_key(sk="b" * 1024), COMPOSITE)


def test_key_sizes_are_utf8_bytes_not_characters(ddb: Any) -> None:
    # 683 Hangul syllables are 2,049 bytes: over, though far fewer than 2,048 characters.
    over = {"pk": {"S": "가" * 683}}
    assert validation_message(lambda: ddb.get_item(TableName=HASH_ONLY, Key=over)) == (
        HASH_KEY_TOO_LONG
    )
    ddb.get_item(TableName=HASH_ONLY, Key={"pk": {"S": "가" * 682}})


def test_a_query_with_an_oversized_partition_key_is_refused(ddb: Any) -> None:
    def query(value: str, index: str | None = None) -> Any:
        name = "gk" if index else "pk"
        return ddb.query(
            TableName=COMPOSITE,
            **({"IndexName": index} if index else {}),
            KeyConditionExpression="#k = :k",
            ExpressionAttributeNames={"#k": name},
            ExpressionAttributeValues={":k": {"S": value}},
        )

    assert validation_message(lambda: query(LONG_HASH)) == HASH_KEY_TOO_LONG
    assert validation_message(lambda: query(LONG_HASH, "byGk")) == HASH_KEY_TOO_LONG
    assert query("a" * 2048)["Count"] == 0


def test_binary_keys_count_bytes_and_numbers_never_exceed() -> None:
    over = {"pk": {"B": base64.b64encode(bytes(2049)).decode()}}
    assert oversized_key_message(over, "pk", None) == HASH_KEY_TOO_LONG
    assert (
        oversized_key_message({"pk": {"B": base64.b64encode(bytes(2048)).decode()}}, "pk", None)
        is None
    )
    assert oversized_key_message({"pk": {"N": "9" * 38}}, "pk", None) is None


def test_moto_keeps_its_own_answer_for_a_missing_table_or_index(ddb: Any) -> None:
    missing = refused(lambda: ddb.get_item(TableName="nope", Key={"pk": {"S": LONG_HASH}}))
    assert missing["Error"]["Code"] == "ResourceNotFoundException"
    no_index = refused(
        lambda: ddb.query(
            TableName=COMPOSITE,
            IndexName="nope",
            KeyConditionExpression="gk = :k",
            ExpressionAttributeValues={":k": {"S": LONG_HASH}},
        )
    )
    assert no_index["Error"]["Message"] != HASH_KEY_TOO_LONG  # moto's own refusal


def test_a_query_checks_the_partition_key_not_the_sort_key_condition(ddb: Any) -> None:
    answer = ddb.query(
        TableName=COMPOSITE,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"S": "s"}},
    )
    assert answer["Count"] == 0


def test_patching_twice_changes_nothing() -> None:
    from moto.dynamodb.responses import DynamoHandler

    before = DynamoHandler.get_item
    enforce_dynamodb_limits()
    assert DynamoHandler.get_item is before


# ---- items --------------------------------------------------------------------------------
def test_an_item_over_400_kb_is_refused(ddb: Any) -> None:
    item = {"pk": {"S": "big"}, "blob": {"S": "z" * (409_600 - 9 + 1)}}  # names count too
    assert item_size(item) == 409_601
    put = lambda: ddb.put_item(TableName=HASH_ONLY, Item=item)  # noqa: E731
    assert validation_message(put) == ITEM_TOO_LARGE


def test_item_size_counts_names_and_values_as_dynamodb_does() -> None:
    assert item_size({"ab": {"S": "가나"}}) == 2 + 6
    assert attribute_value_size({"N": "12345"}) == 4  # 5 significant digits: 3 bytes, plus 1
    assert attribute_value_size({"N": "-0.0100"}) == 2
    assert attribute_value_size({"BOOL": True}) == attribute_value_size({"NULL": True}) == 1
    assert attribute_value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 3 + (1 + 2) + (1 + 2)
    assert attribute_value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert attribute_value_size({"SS": ["a", "bc"]}) == 3
    assert attribute_value_size({"B": "AAEC"}) == 3  # base64 on the wire, bytes counted
    assert attribute_value_size({"NS": ["1", "22"]}) == 2 + 2
    assert attribute_value_size({"BS": ["AAEC"]}) == 3
    assert attribute_value_size({"N": "not a number"}) == len("not a number")


# ---- transactions -------------------------------------------------------------------------
def put_action(pk: str, blob_bytes: int = 0) -> dict[str, Any]:
    item = {"pk": {"S": pk}, **({"blob": {"S": "z" * blob_bytes}} if blob_bytes else {})}
    return {"Put": {"TableName": HASH_ONLY, "Item": item}}


def test_a_transaction_of_more_than_100_actions_is_refused(ddb: Any) -> None:
    actions = [put_action(f"k{i}") for i in range(101)]
    message = validation_message(lambda: ddb.transact_write_items(TransactItems=actions))
    assert message.endswith("Member must have length less than or equal to 100.")
    ddb.transact_write_items(TransactItems=actions[:100])


def test_a_transaction_over_4_mb_is_refused_and_writes_nothing(ddb: Any) -> None:
    # Eleven items of ~390 KB: each within 400 KB, together over 4 MB (4,194,304 bytes).
    actions = [put_action(f"m{i}", 390_000) for i in range(11)]
    message = validation_message(lambda: ddb.transact_write_items(TransactItems=actions))
    assert message == TRANSACTION_TOO_LARGE
    assert ddb.scan(TableName=HASH_ONLY)["Count"] == 0
    ddb.transact_write_items(TransactItems=actions[:10])  # ~3.9 MB passes


def test_a_transaction_over_4_mb_counts_what_updates_write(ddb: Any) -> None:
    update = {
        "Update": {
            "TableName": HASH_ONLY,
            "Key": {"pk": {"S": "u"}},
            "UpdateExpression": "SET blob = :b",
            "ExpressionAttributeValues": {":b": {"S": "z" * 390_000}},
        }
    }
    actions = [put_action(f"m{i}", 390_000) for i in range(10)] + [update]
    message = validation_message(lambda: ddb.transact_write_items(TransactItems=actions))
    assert message == TRANSACTION_TOO_LARGE


@pytest.mark.parametrize(
    "oversized",
    [
        put_action(LONG_HASH),
        {"Delete": {"TableName": HASH_ONLY, "Key": {"pk": {"S": LONG_HASH}}}},
        {
            "ConditionCheck": {
                "TableName": HASH_ONLY,
                "Key": {"pk": {"S": LONG_HASH}},
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
        {
            "Update": {
                "TableName": COMPOSITE,
                "Key": composite_key(sk=LONG_RANGE),
                "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}},
            }
        },
    ],
    ids=["Put", "Delete", "ConditionCheck", "Update-sort-key"],
)
def test_an_oversized_key_in_a_transaction_cancels_it_with_a_validation_reason(
    ddb: Any, oversized: dict[str, Any]
) -> None:
    actions = [put_action("fine"), oversized]
    response = refused(lambda: ddb.transact_write_items(TransactItems=actions))
    assert response["Error"]["Code"] == "TransactionCanceledException"
    reasons = response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ValidationError"]
    assert reasons[1]["Message"] in (HASH_KEY_TOO_LONG, RANGE_KEY_TOO_LONG)
    assert ddb.scan(TableName=HASH_ONLY)["Count"] == 0  # nothing of it was written
