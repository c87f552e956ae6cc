"""Opaque ``nextToken`` values: a DynamoDB LastEvaluatedKey the client hands back unchanged."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from partnercenter.errors import ValidationFailed


def encode_token(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise ValidationFailed(
            "nextToken is not one this API issued.", fields=["nextToken"]
        ) from exc
    if not isinstance(value, dict):
        raise ValidationFailed("nextToken is not one this API issued.", fields=["nextToken"])
    return value
