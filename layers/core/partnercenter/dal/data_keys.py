"""Per-subject data keys: generated and wrapped by KMS, stored in DataKeysTable.

Deleting a subject's key item is crypto-shredding (R-RET-6): every ciphertext made with it, in
any table or backup, can no longer be opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.transactions import Entry

MEMBER_DATA = "member-data"
RETAINED_DATA = "retained-data"


def retained_subject(member_id: str) -> str:
    return f"retained:{member_id}"


@dataclass(frozen=True)
class NewDataKey:
    subject: str
    plaintext: bytes
    put: Entry  # the transaction's entry that stores the wrapped key


def _context(subject: str, purpose: str) -> dict[str, str]:
    return {"subject": subject, "purpose": purpose}


def _key_id(purpose: str) -> str:
    settings = get_settings()
    return settings.retained_key_id if purpose == RETAINED_DATA else settings.members_key_id


def new_data_key(subject: str, purpose: str = MEMBER_DATA) -> NewDataKey:
    """A fresh data key; stored only when its ``put`` commits with the data it protects."""
    generated = client("kms").generate_data_key(
        KeyId=_key_id(purpose), KeySpec="AES_256", EncryptionContext=_context(subject, purpose)
    )
    put = Entry(
        {
            "Put": {
                "TableName": get_settings().data_keys_table,
                "Item": {
                    "subject": {"S": subject},
                    "purpose": {"S": purpose},
                    "wrappedKey": {"B": generated["CiphertextBlob"]},
                },
                "ConditionExpression": "attribute_not_exists(subject)",
            }
        }
    )
    return NewDataKey(subject=subject, plaintext=generated["Plaintext"], put=put)


@dataclass(frozen=True, repr=False)
class WrappedDataKey:
    """A subject's data key as stored (wrapped by KMS); ``wrapped`` None once shredded."""

    subject: str
    wrapped: bytes | None


def data_key_key(subject: str) -> dict[str, Any]:
    return {"subject": {"S": subject}}


def wrapped_data_key(subject: str, item: dict[str, Any] | None) -> WrappedDataKey:
    """The key as read from its item (None: no item, the key is shredded)."""
    return WrappedDataKey(subject, item["wrappedKey"]["B"] if item is not None else None)


def unwrap(key: WrappedDataKey, purpose: str = MEMBER_DATA) -> bytes | None:
    """The data key in clear (KMS), or None once it has been shredded."""
    if key.wrapped is None:
        return None
    plaintext: bytes = client("kms").decrypt(
        CiphertextBlob=key.wrapped,
        KeyId=_key_id(purpose),
        EncryptionContext=_context(key.subject, purpose),
    )["Plaintext"]
    return plaintext


def load_wrapped_data_key(subject: str) -> WrappedDataKey:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().data_keys_table,
            Key=data_key_key(subject),
            ConsistentRead=True,
        )
        .get("Item")
    )
    return wrapped_data_key(subject, item)


def load_data_key(subject: str, purpose: str = MEMBER_DATA) -> bytes | None:
    """The subject's data key in clear, or None once it has been shredded."""
    return unwrap(load_wrapped_data_key(subject), purpose)


def shred(subject: str) -> Entry:
    """The transaction's entry that destroys a subject's data key (crypto-shredding)."""
    return Entry(
        {
            "Delete": {
                "TableName": get_settings().data_keys_table,
                "Key": {"subject": {"S": subject}},
            }
        }
    )
