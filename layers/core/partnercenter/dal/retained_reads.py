"""Separated storage opened for one subject (R-RET-5): its sealed items and its data key.

Only RetainedDataReadFunction's role can unwrap a retained data key (kms:Decrypt on RetainedKey
outside DynamoDB); the other functions that touch RetainedTable read bookkeeping only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from partnercenter.config import get_settings
from partnercenter.dal import data_keys
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item

_SEALED_ITEMS = ("name", "phone")


@dataclass(frozen=True)
class SealedRetained:
    """One withdrawn member's retained items, still sealed under their retained data key."""

    subject: str
    items: tuple[str, ...]
    sealed: Mapping[str, str]  # item -> ciphertext token (crypto.FieldCipher)


def load_sealed(member_id: str) -> SealedRetained | None:
    """The retained record's sealed items, or None when the subject has none (any more)."""
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().retained_table,
            Key={"subject": {"S": member_id}},
            ConsistentRead=True,
            ProjectionExpression="#items, nameEnc, phoneEnc",
            ExpressionAttributeNames={"#items": "items"},
        )
        .get("Item")
    )
    if item is None:
        return None
    row = from_item(item)
    items = tuple(str(i) for i in row.get("items", ()))
    sealed = {i: str(row[f"{i}Enc"]) for i in _SEALED_ITEMS if f"{i}Enc" in row}
    return SealedRetained(subject=member_id, items=items, sealed=sealed)


def retained_cipher_subject(member_id: str) -> str:
    """The name the retained items were sealed under (their AEAD's associated subject)."""
    return data_keys.retained_subject(member_id)


def open_retained_key(member_id: str) -> bytes | None:
    """The subject's retained data key in clear, or None once the purge has shredded it."""
    return data_keys.load_data_key(data_keys.retained_subject(member_id), data_keys.RETAINED_DATA)
