"""VerificationsTable: PENDING -> VERIFIED -> CONSUMED, by conditional writes only."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.transactions import Entry

PENDING, VERIFIED, CONSUMED = "PENDING", "VERIFIED", "CONSUMED"


@dataclass(frozen=True)
class PendingVerification:
    """A verification started at the vendor, before its result."""

    verification_id: str
    purpose: str
    member_id: str | None
    vendor: str
    vendor_tx_id: str
    secret_hash: str
    created_at: str
    expires_at: str
    # TTL is a backstop for leftovers; the purge decides destruction time itself.
    expires_at_epoch: int


@dataclass(frozen=True, repr=False)
class VerifiedFacts:
    """What R-IDV-4 lets a VERIFIED record keep; for a child under 14 no identity at all."""

    verified_at: str
    under14: bool
    person_hash: str | None = None
    identity_enc: bytes | None = None


@dataclass(frozen=True, repr=False)
class VerificationRecord:
    verification_id: str
    status: str
    purpose: str
    vendor: str
    vendor_tx_id: str
    secret_hash: str
    created_at: str
    # The member a profile change's verification is bound to; None for a signup's.
    member_id: str | None = None
    verified_at: str | None = None
    under14: bool = False
    person_hash: str | None = None
    identity_enc: bytes | None = None

    def __repr__(self) -> str:  # never the identity (R-SEC-3)
        return f"VerificationRecord({self.verification_id!r}, status={self.status!r})"


_ATTRIBUTES = {
    "verification_id": "verificationId",
    "status": "status",
    "purpose": "purpose",
    "member_id": "memberId",
    "vendor": "vendor",
    "vendor_tx_id": "vendorTxId",
    "secret_hash": "secretHash",  # nosec B105 - an attribute name, not a secret
    "created_at": "createdAt",
    "expires_at": "expiresAt",
    "expires_at_epoch": "expiresAtEpoch",
    "verified_at": "verifiedAt",
    "under14": "under14",
    "person_hash": "personHash",
    "identity_enc": "identityEnc",
}
_RECORD_FIELDS = frozenset(VerificationRecord.__dataclass_fields__)


def _key(verification_id: str) -> dict[str, Any]:
    return {"verificationId": {"S": verification_id}}


def put_pending(pending: PendingVerification) -> None:
    values = {_ATTRIBUTES[name]: value for name, value in asdict(pending).items()}
    client("dynamodb").put_item(
        TableName=get_settings().verifications_table,
        Item=to_item({**values, "status": PENDING}),
        ConditionExpression="attribute_not_exists(verificationId)",
    )


def get(verification_id: str) -> VerificationRecord | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().verifications_table,
            Key=_key(verification_id),
            ConsistentRead=True,
        )
        .get("Item")
    )
    if not item:
        return None
    values = from_item(item)
    return VerificationRecord(
        **{
            name: values[attribute]
            for name, attribute in _ATTRIBUTES.items()
            if name in _RECORD_FIELDS and values.get(attribute) is not None
        }
    )


def mark_verified(verification_id: str, vendor_tx_id: str, facts: VerifiedFacts) -> bool:
    """PENDING -> VERIFIED with what R-IDV-4 allows; False if it was not PENDING (a replay)."""
    from botocore.exceptions import ClientError

    fields = to_item({_ATTRIBUTES[name]: value for name, value in asdict(facts).items()})
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":f{i}": value for i, value in enumerate(fields.values())}
    assignments = ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
    try:
        client("dynamodb").update_item(
            TableName=get_settings().verifications_table,
            Key=_key(verification_id),
            UpdateExpression=f"SET #status = :verified, {assignments}",
            ConditionExpression="#status = :pending AND vendorTxId = :tx",
            ExpressionAttributeNames={"#status": "status", **names},
            ExpressionAttributeValues={
                ":verified": {"S": VERIFIED},
                ":pending": {"S": PENDING},
                ":tx": {"S": vendor_tx_id},
                **values,
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def consume_entry(verification_id: str, consumed_at: str) -> Entry:
    """TransactWriteItems entry: VERIFIED -> CONSUMED, dropping the sealed identity.

    The person hash goes too: the member's person guard holds it from now on, and a rejected
    or withdrawn member's hash must not outlive them here (R-COL-4, R-IDV-4).
    """
    return Entry(
        {
            "Update": {
                "TableName": get_settings().verifications_table,
                "Key": _key(verification_id),
                "UpdateExpression": (
                    "SET #status = :consumed, consumedAt = :at REMOVE identityEnc, personHash"
                ),
                "ConditionExpression": "#status = :verified",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":consumed": {"S": CONSUMED},
                    ":verified": {"S": VERIFIED},
                    ":at": {"S": consumed_at},
                },
            }
        }
    )


def delete(verification_id: str) -> None:
    client("dynamodb").delete_item(
        TableName=get_settings().verifications_table, Key=_key(verification_id)
    )


def seal_identity(verification_id: str, name: str, phone: str | None) -> bytes:
    """The verified name and phone, KMS-encrypted and bound to this verification only."""
    blob: bytes = client("kms").encrypt(
        KeyId=get_settings().members_key_id,
        Plaintext=json.dumps({"name": name, "phone": phone}).encode(),
        EncryptionContext={"verificationId": verification_id},
    )["CiphertextBlob"]
    return blob


@dataclass(frozen=True, repr=False)
class SealedIdentity:
    """The verified name and phone, opened; in memory only, never shown (no repr)."""

    name: str | None
    phone: str | None


def open_identity(verification_id: str, sealed: bytes) -> SealedIdentity:
    plain = client("kms").decrypt(
        CiphertextBlob=sealed,
        KeyId=get_settings().members_key_id,
        EncryptionContext={"verificationId": verification_id},
    )["Plaintext"]
    identity = json.loads(plain)
    return SealedIdentity(name=identity.get("name"), phone=identity.get("phone"))
