"""VerificationsTable: PENDING -> VERIFIED -> CONSUMED, by conditional writes only."""

from __future__ import annotations

import json
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item, to_value

PENDING, VERIFIED, CONSUMED = "PENDING", "VERIFIED", "CONSUMED"


def _key(verification_id: str) -> dict[str, Any]:
    return {"verificationId": {"S": verification_id}}


def put_pending(record: dict[str, Any]) -> None:
    client("dynamodb").put_item(
        TableName=get_settings().verifications_table,
        Item=to_item({**record, "status": PENDING}),
        ConditionExpression="attribute_not_exists(verificationId)",
    )


def get(verification_id: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().verifications_table,
            Key=_key(verification_id),
            ConsistentRead=True,
        )
        .get("Item")
    )
    return from_item(item) if item else None


def mark_verified(verification_id: str, vendor_tx_id: str, fields: dict[str, Any]) -> bool:
    """PENDING -> VERIFIED with what R-IDV-4 allows; False if it was not PENDING (a replay)."""
    from botocore.exceptions import ClientError

    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":f{i}": to_value(value) for i, value in enumerate(fields.values())}
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


def consume_entry(verification_id: str, consumed_at: str) -> dict[str, Any]:
    """TransactWriteItems entry: VERIFIED -> CONSUMED, dropping the sealed identity.

    The person hash goes too: the member's person guard holds it from now on, and a rejected
    or withdrawn member's hash must not outlive them here (R-COL-4, R-IDV-4).
    """
    return {
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


def open_identity(verification_id: str, sealed: bytes) -> dict[str, str | None]:
    plain = client("kms").decrypt(
        CiphertextBlob=sealed,
        KeyId=get_settings().members_key_id,
        EncryptionContext={"verificationId": verification_id},
    )["Plaintext"]
    identity: dict[str, str | None] = json.loads(plain)
    return identity
