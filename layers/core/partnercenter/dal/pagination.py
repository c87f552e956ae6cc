"""Opaque ``nextToken`` values, sealed so that only the query that issued one can resume it.

A token is ``<base64url(JSON position)>.<HMAC-SHA256>``. The MAC covers the route, the
caller (an operator's or a member's sub), the query's filters and the position, under a key
derived from the lookup-hash secret (its own ``page_token`` namespace). So a forged token,
another route's, another caller's or one issued for other filters fails the MAC and is a 422
``VALIDATION_FAILED`` before anything reaches DynamoDB. The position is checked once more
against the query's key condition (``KeyCondition``): a start key outside it would be a
``ValidationException`` on real DynamoDB, which moto forgives.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from partnercenter.config import get_settings
from partnercenter.crypto import keyed_hash
from partnercenter.dal.aws import get_secret
from partnercenter.errors import ValidationFailed

_NAMESPACE = "page_token"
_NOT_OURS = "nextToken is not one this API issued for this query; start from the first page."
MAX_KEY_VALUE_LENGTH = 1024  # far above any key this API writes


def token_refused() -> ValidationFailed:
    """The one answer to any token this query did not issue (which check failed is not said)."""
    return ValidationFailed(_NOT_OURS, fields=["nextToken"])


@dataclass(frozen=True)
class PageScope:
    """What a token is bound to: the route, who asked, and the query's filters."""

    route: str
    caller: str
    filters: Mapping[str, str] = field(default_factory=dict)

    def mac(self, position: str) -> str:
        message = json.dumps(
            [self.route, self.caller, sorted(self.filters.items()), position],
            separators=(",", ":"),
        )
        return keyed_hash(get_secret(get_settings().lookup_hash_secret), _NAMESPACE, message)


def encode_token(last_evaluated_key: dict[str, Any] | None, scope: PageScope) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    position = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return f"{position}.{scope.mac(position)}"


def decode_token(token: str | None, scope: PageScope) -> dict[str, Any] | None:
    """The position a token of ``scope`` holds; anything else is a 422."""
    if not token:
        return None
    position, dot, mac = token.partition(".")
    if not dot or not hmac.compare_digest(mac.encode(), scope.mac(position).encode()):
        raise token_refused()
    try:  # ours (the MAC says so), so a failure here means a changed secret or format
        padded = position + "=" * (-len(position) % 4)
        value = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise token_refused() from exc
    if not isinstance(value, dict):
        raise token_refused()
    return value


@dataclass(frozen=True)
class KeyCondition:
    """The start keys a query can have issued: exactly its key attributes, all strings, the
    partition key equal to the query's and the sort key within its ``begins_with``."""

    equal: Mapping[str, str]
    other: tuple[str, ...] = ()
    prefix: Mapping[str, str] = field(default_factory=dict)

    def start_key(self, key: dict[str, Any] | None) -> dict[str, Any] | None:
        """``key`` if it lies within the condition (None stays None), else a 422."""
        if key is None:
            return None
        if set(key) != {*self.equal, *self.other}:
            raise token_refused()
        for name, typed in key.items():
            if not isinstance(typed, dict) or set(typed) != {"S"}:
                raise token_refused()
            value = typed["S"]
            if not isinstance(value, str) or not 0 < len(value) <= MAX_KEY_VALUE_LENGTH:
                raise token_refused()
            if name in self.equal and value != self.equal[name]:
                raise token_refused()
            if name in self.prefix and not value.startswith(self.prefix[name]):
                raise token_refused()
        return key


# Where the next page of a query or scan starts (its LastEvaluatedKey, or a cursor built from
# it): handed back to the dal function that issued it, never read outside dal/.
StartKey = dict[str, Any]
