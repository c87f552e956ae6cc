"""DynamoDB's hard limits where moto 5.2.5 forgives them, answered as DynamoDB answers.

moto checks key sizes on PutItem, UpdateItem and the write in BatchWriteItem and
TransactWriteItems. It checks item size (from 405,000 bytes, a little stricter than
DynamoDB's 409,600) and the 100-action cap on TransactWriteItems. It does not check:
- key sizes on the lookups that DynamoDB also checks: GetItem, DeleteItem, BatchGetItem,
  the DeleteRequest of BatchWriteItem, TransactGetItems, and Query's partition key. moto
  answers these as if nothing were wrong;
- key sizes inside TransactWriteItems as DynamoDB reports them: a cancellation with a
  ``ValidationError`` reason for the offending action, not a plain ValidationException;
- the 4 MB aggregate size of a TransactWriteItems.

Messages are DynamoDB's, byte for byte ("limit of2048" has no space in DynamoDB's either).
Sources are in docs/aws-limits.md. Used by the tests and the local stack, never deployed.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

HASH_KEY_MAX_BYTES = 2048
RANGE_KEY_MAX_BYTES = 1024
TRANSACTION_MAX_BYTES = 4 * 1024 * 1024
HASH_KEY_TOO_LONG = (
    "One or more parameter values were invalid: "
    "Size of hashkey has exceeded the maximum size limit of2048 bytes"
)
RANGE_KEY_TOO_LONG = (
    "One or more parameter values were invalid: "
    "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
)
TRANSACTION_TOO_LARGE = "Transaction item size has exceeded the 4 MB limit"
_PATCHED = "_partnercenter_limits"
# `name = :value` and `begins_with(name, :value)` / `BETWEEN :a AND :b` in a key condition.
_COMPARISON = re.compile(r"(#?[\w.]+)\s*(?:=|<=|>=|<|>|BETWEEN)\s*(:\w+)", re.IGNORECASE)
_BEGINS_WITH = re.compile(r"begins_with\s*\(\s*(#?[\w.]+)\s*,\s*(:\w+)\s*\)", re.IGNORECASE)


# ---------------------------------------------------------------------------- sizes
def _binary_length(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return len(value)
    return len(base64.b64decode(str(value)))  # base64 on the wire


def _number_size(text: str) -> int:
    """One byte per two significant digits, plus one (DynamoDB's item size rules)."""
    try:
        digits = Decimal(text).normalize().as_tuple().digits
    except InvalidOperation:
        return len(text.encode("utf-8"))
    significant = "".join(map(str, digits)).strip("0") or "0"
    return (len(significant) + 1) // 2 + 1


def _text_size(text: Any) -> int:
    return len(str(text).encode("utf-8"))


_VALUE_SIZES: dict[str, Callable[[Any], int]] = {
    "S": _text_size,
    "N": lambda n: _number_size(str(n)),
    "B": _binary_length,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
    "SS": lambda values: sum(_text_size(s) for s in values),
    "NS": lambda values: sum(_number_size(str(n)) for n in values),
    "BS": lambda values: sum(_binary_length(b) for b in values),
    # Documents: 3 bytes, plus a byte and the element (and a map's name) per element.
    "L": lambda values: 3 + sum(1 + attribute_value_size(v) for v in values),
    "M": lambda values: 3
    + sum(1 + _text_size(k) + attribute_value_size(v) for k, v in values.items()),
}


def attribute_value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one AttributeValue as DynamoDB counts them toward the 400 KB item size."""
    kind, content = next(iter(value.items()))
    return _VALUE_SIZES.get(kind, lambda _: 0)(content)


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Attribute names (UTF-8) plus values: DynamoDB's item size."""
    return sum(len(name.encode("utf-8")) + attribute_value_size(v) for name, v in item.items())


def _key_part_size(value: Mapping[str, Any]) -> int:
    kind, content = next(iter(value.items()))
    if kind == "S":
        return len(str(content).encode("utf-8"))
    if kind == "B":
        return _binary_length(content)
    return 0  # numbers are at most 21 bytes: never over either limit


# ---------------------------------------------------------------------------- checks
def oversized_key_message(
    key: Mapping[str, Any], hash_name: str | None, range_name: str | None
) -> str | None:
    """DynamoDB's message when ``key`` (or an item) has a key attribute over its limit."""
    hash_value = key.get(hash_name or "")
    if isinstance(hash_value, Mapping) and _key_part_size(hash_value) > HASH_KEY_MAX_BYTES:
        return HASH_KEY_TOO_LONG
    range_value = key.get(range_name or "")
    if isinstance(range_value, Mapping) and _key_part_size(range_value) > RANGE_KEY_MAX_BYTES:
        return RANGE_KEY_TOO_LONG
    return None


def _transaction_size(items: Iterable[Mapping[str, Any]]) -> int:
    """The aggregate a TransactWriteItems is held to: whole items for Put; for the others the
    key, plus for Update the values it writes (the finished item is not known up front)."""
    total = 0
    for action in items:
        kind, body = next(iter(action.items()))
        if kind == "Put":
            total += item_size(body.get("Item") or {})
        else:
            total += item_size(body.get("Key") or {})
            if kind == "Update":
                values = body.get("ExpressionAttributeValues") or {}
                total += sum(attribute_value_size(v) for v in values.values())
    return total


class _Checks:
    """One check per operation; each raises moto's own exception types, so the answer is
    the HTTP 400 and error body DynamoDB gives."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler
        self._body: dict[str, Any] = handler.body

    def _schema(self, table_name: str, index_name: str | None = None) -> tuple[str | None, ...]:
        from moto.dynamodb.exceptions import ResourceNotFoundException

        try:
            table = self._handler.dynamodb_backend.get_table(table_name)
        except ResourceNotFoundException:
            return (None, None)  # moto's own answer follows
        if index_name is None:
            return (table.hash_key_attr, table.range_key_attr)
        for index in list(table.global_indexes) + list(table.indexes):
            if index.name == index_name:
                names = {key["KeyType"]: key["AttributeName"] for key in index.schema}
                return (names.get("HASH"), names.get("RANGE"))
        return (None, None)

    def _key(self, table_name: str, key: Mapping[str, Any]) -> None:
        from moto.dynamodb.exceptions import MockValidationException

        message = oversized_key_message(key, *self._schema(table_name))
        if message is not None:
            raise MockValidationException(message)

    def single_key(self) -> None:
        self._key(self._body["TableName"], self._body.get("Key") or {})

    def batch_get_item(self) -> None:
        for table_name, request in (self._body.get("RequestItems") or {}).items():
            for key in request.get("Keys") or []:
                self._key(table_name, key)

    def batch_write_item(self) -> None:
        for table_name, requests in (self._body.get("RequestItems") or {}).items():
            for request in requests:
                if "DeleteRequest" in request:
                    self._key(table_name, request["DeleteRequest"].get("Key") or {})

    def transact_get_items(self) -> None:
        for action in self._body.get("TransactItems") or []:
            get = action.get("Get") or {}
            self._key(get.get("TableName", ""), get.get("Key") or {})

    def query(self) -> None:
        from moto.dynamodb.exceptions import MockValidationException

        hash_name, _ = self._schema(self._body["TableName"], self._body.get("IndexName"))
        condition = self._body.get("KeyConditionExpression") or ""
        names = self._body.get("ExpressionAttributeNames") or {}
        values = self._body.get("ExpressionAttributeValues") or {}
        for name, placeholder in _COMPARISON.findall(condition) + _BEGINS_WITH.findall(condition):
            value = values.get(placeholder)
            if names.get(name, name) != hash_name or not isinstance(value, Mapping):
                continue
            if _key_part_size(value) > HASH_KEY_MAX_BYTES:
                raise MockValidationException(HASH_KEY_TOO_LONG)

    def transact_write_items(self) -> None:
        from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException

        items = self._body.get("TransactItems") or []
        if len(items) > 100:
            return  # moto's own answer: the 100-action constraint
        if _transaction_size(items) > TRANSACTION_MAX_BYTES:
            raise MockValidationException(TRANSACTION_TOO_LARGE)
        reasons: list[tuple[str | None, str | None, None]] = []
        for action in items:
            _, body = next(iter(action.items()))
            key = body.get("Item") or body.get("Key") or {}
            message = oversized_key_message(key, *self._schema(body.get("TableName", "")))
            reasons.append(("ValidationError", message, None) if message else (None, None, None))
        if any(code for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)


_CHECKS: dict[str, Callable[[_Checks], None]] = {
    "get_item": _Checks.single_key,
    "delete_item": _Checks.single_key,
    "batch_get_item": _Checks.batch_get_item,
    "batch_write_item": _Checks.batch_write_item,
    "transact_get_items": _Checks.transact_get_items,
    "transact_write_items": _Checks.transact_write_items,
    "query": _Checks.query,
}


def _checked(operation: Callable[..., Any], check: Callable[[_Checks], None]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def limited(handler: Any) -> Any:
        check(_Checks(handler))
        return operation(handler)

    setattr(limited, _PATCHED, True)
    return limited


def enforce_dynamodb_limits() -> None:
    """Patch moto's DynamoDB request handler once per process (repeat calls change nothing)."""
    from moto.dynamodb.responses import DynamoHandler

    for name, check in _CHECKS.items():
        operation = getattr(DynamoHandler, name)
        if not getattr(operation, _PATCHED, False):
            setattr(DynamoHandler, name, _checked(operation, check))
