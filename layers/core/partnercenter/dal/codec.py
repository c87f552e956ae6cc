"""Plain Python values <-> DynamoDB attribute values, for the low-level client."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_decimal(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_decimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_decimal(v) for v in value]
    return value


def _from_decimal(value: Any) -> Any:
    if isinstance(value, Binary):
        return value.value  # type: ignore[attr-defined]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_decimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_decimal(v) for v in value]
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Serialise a dict, leaving out None values (DynamoDB has no use for them here)."""
    return {k: _serializer.serialize(_to_decimal(v)) for k, v in values.items() if v is not None}


def to_value(value: Any) -> Any:
    return _serializer.serialize(_to_decimal(value))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_decimal(_deserializer.deserialize(v)) for k, v in item.items()}
