"""Cognito intents in MembersTable: what the user pool should look like while, or after, an
operation changes it (docs/withdrawal.md, docs/signup.md).

Every side effect outside DynamoDB (creating, disabling or deleting a Cognito account) is
preceded by an intent written next to the state it belongs to, and the operation's commit
clears it in the same transaction. Three shapes, all carrying ``intentQueue``/``intentSince``,
the keys of the sparse ``byIntent`` index the reconciler reads:

- a signup's **claim**: the login-ID guard itself, before the account exists, holding the login
  ID sealed (AES-GCM, key derived from the lookup-hash secret; the reconciler needs the
  username to delete an orphan); the commit replaces it with the member's guard;
- a **profile mark** (``cognitoIntent`` = ``withdraw``, ``sanction`` or ``approve``) before the
  account is disabled (or, on approval, with the status change before it is enabled); the
  commit deletes or updates the profile without it;
- an **account deletion** item, written by the commit that ended a membership or an
  application; deleted once the account is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from partnercenter.clock import iso_micro
from partnercenter.config import get_settings
from partnercenter.crypto import open_sealed, purpose_key, seal
from partnercenter.dal.aws import client, get_secret
from partnercenter.dal.codec import from_item
from partnercenter.dal.members import (
    INTENT_QUEUE,
    MARK,
    PROFILE,
    MemberRecord,
    login_id_guard_key,
    member_key,
    member_record,
)
from partnercenter.dal.transactions import Entry

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Longer than the timeout of any function that writes intents (60 s at most): a younger intent
# may belong to an operation still in flight, an older one to an operation that died (the
# reconciler's to finish or undo).
IN_FLIGHT_WINDOW = timedelta(minutes=5)
QUEUE = INTENT_QUEUE
INDEX = "byIntent"
_INTENT_ATTRIBUTES = ", ".join(MARK)
DELETE_ACCOUNT = "DELETE_ACCOUNT"
# HKDF's info label: the claim's key is for sealing claimed login IDs and nothing else.
_CLAIM_KEY_PURPOSE = "partnercenter/signup-claim/login-id"


@dataclass(frozen=True)
class IntentKey:
    """Where an intent is stored (a guard, a profile or an account-deletion item)."""

    pk: str
    sk: str

    def item_key(self) -> dict[str, Any]:
        return {"pk": {"S": self.pk}, "sk": {"S": self.sk}}


@dataclass(frozen=True, repr=False)
class Intent:
    """An intent as stored now: ``kind`` is ``signup`` (a claim), ``delete`` (an account
    deletion) or a profile mark (``withdraw``, ``sanction``, ``approve``)."""

    key: IntentKey
    kind: str | None
    since: str | None
    member_id: str | None
    # A claim's login ID: its hash, and the login ID sealed to it.
    login_id_hash: str | None = None
    sealed_login_id: bytes | None = None
    # A profile mark's profile.
    profile: MemberRecord | None = None

    def __repr__(self) -> str:
        return f"Intent({self.kind!r}, since={self.since!r})"


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _conditional(call: Any, **params: Any) -> bool:
    """Run a conditional write; False if its condition failed."""
    from botocore.exceptions import ClientError

    try:
        call(**params)
    except ClientError as exc:
        if _error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


# ---------------------------------------------------------------------------- signup claims
def _claim_cipher() -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    # Derived from the secret that keys the login ID's hash: the claim needs no KMS round trip
    # (docs/signup.md, "The claim's sealed login ID").
    secret = get_secret(get_settings().lookup_hash_secret)
    return AESGCM(purpose_key(secret, _CLAIM_KEY_PURPOSE))


def seal_login_id(login_id_hash: str, login_id: str) -> bytes:
    """The login ID, sealed to its own guard: only the claim of this hash opens it."""
    return seal(_claim_cipher(), login_id.encode(), login_id_hash.encode())


def open_login_id(login_id_hash: str, sealed: bytes) -> str:
    """The claim's login ID; ``UnreadableCiphertext`` if the seal was changed or is another
    login ID's."""
    return open_sealed(_claim_cipher(), sealed, login_id_hash.encode(), "loginIdEnc").decode()


def claim_login_id(
    login_id_hash: str, sealed: bytes, since: str, receipt: str | None, stale_before: str
) -> bool:
    """Hold the login ID for a signup before its account exists; False if someone holds it.

    A claim older than ``stale_before`` belongs to a signup that died (the window is above the
    function timeout); a claim with this request's own receipt belongs to an earlier attempt of
    the same Idempotency-Key, which the idempotency layer says is over. Both may be taken over.
    """
    item: dict[str, Any] = {
        **login_id_guard_key(login_id_hash),
        "intentQueue": {"S": QUEUE},
        "intentSince": {"S": since},
        "cognitoIntent": {"S": "signup"},
        "loginIdEnc": {"B": sealed},
    }
    values: dict[str, Any] = {":stale": {"S": stale_before}, ":signup": {"S": "signup"}}
    condition = "attribute_not_exists(pk) OR (cognitoIntent = :signup AND intentSince < :stale)"
    if receipt is not None:
        item["signupReceipt"] = {"S": receipt}
        values[":receipt"] = {"S": receipt}
        condition += " OR (cognitoIntent = :signup AND signupReceipt = :receipt)"
    return _conditional(
        client("dynamodb").put_item,
        TableName=get_settings().members_table,
        Item=item,
        ConditionExpression=condition,
        ExpressionAttributeValues=values,
    )


def release_claim(login_id_hash: str, since: str) -> bool:
    """Drop a claim, only while it is still the one made at ``since``."""
    return _conditional(
        client("dynamodb").delete_item,
        TableName=get_settings().members_table,
        Key=login_id_guard_key(login_id_hash),
        ConditionExpression="intentSince = :since",
        ExpressionAttributeValues={":since": {"S": since}},
    )


def lease(key: IntentKey, since: str, now: str) -> bool:
    """The reconciler's hold on a stale intent: no operation takes it over (as a stale one may
    be) while the reconciler acts on it. False if it changed since it was read."""
    return _conditional(
        client("dynamodb").update_item,
        TableName=get_settings().members_table,
        Key=key.item_key(),
        UpdateExpression="SET intentSince = :now",
        ConditionExpression="intentSince = :since",
        ExpressionAttributeValues={":since": {"S": since}, ":now": {"S": now}},
    )


# ---------------------------------------------------------------------------- profile marks
def mark_profile(member_id: str, version: int, intent: str, since: str, now: datetime) -> bool:
    """Mark the profile as read (``version``) before its account changes; False if it changed
    meanwhile or another operation on the account is under way. The version stays: the mark is
    not a change of the member's data. A mark whose reply was lost is removed again."""
    try:
        return _conditional(
            client("dynamodb").update_item,
            TableName=get_settings().members_table,
            Key=member_key(member_id),
            UpdateExpression="SET intentQueue = :q, intentSince = :since, cognitoIntent = :intent",
            ConditionExpression=(
                "version = :v AND (attribute_not_exists(intentSince) OR intentSince < :stale)"
            ),
            ExpressionAttributeValues={
                ":q": {"S": QUEUE},
                ":since": {"S": since},
                ":intent": {"S": intent},
                ":v": {"N": str(version)},
                ":stale": {"S": iso_micro(now - IN_FLIGHT_WINDOW)},
            },
        )
    except Exception:
        clear_profile_mark(member_id, since)
        raise


def clear_profile_mark(member_id: str, since: str) -> bool:
    """Remove the mark made at ``since`` (not a later operation's)."""
    return _conditional(
        client("dynamodb").update_item,
        TableName=get_settings().members_table,
        Key=member_key(member_id),
        UpdateExpression=f"REMOVE {_INTENT_ATTRIBUTES}",
        ConditionExpression="intentSince = :since",
        ExpressionAttributeValues={":since": {"S": since}},
    )


def without_mark(update: Entry) -> Entry:
    """A profile update entry that also clears the mark: the commit ends the intent."""
    body = dict(update.item["Update"])
    body["UpdateExpression"] = f"{body['UpdateExpression']} REMOVE {_INTENT_ATTRIBUTES}"
    return Entry({"Update": body})


# ---------------------------------------------------------------------------- account deletions
def account_deletion_key(member_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ACCOUNT#{member_id}"}, "sk": {"S": DELETE_ACCOUNT}}


def account_deletion_put(member_id: str, since: str) -> Entry:
    """The commit's entry saying: this member's Cognito account must go."""
    return Entry(
        {
            "Put": {
                "TableName": get_settings().members_table,
                "Item": {
                    **account_deletion_key(member_id),
                    "memberId": {"S": member_id},
                    "intentQueue": {"S": QUEUE},
                    "intentSince": {"S": since},
                    "cognitoIntent": {"S": "delete"},
                },
            }
        }
    )


def account_deleted(member_id: str) -> None:
    client("dynamodb").delete_item(
        TableName=get_settings().members_table, Key=account_deletion_key(member_id)
    )


# ---------------------------------------------------------------------------- the reconciler
def stale_page(
    before: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[IntentKey], dict[str, Any] | None]:
    """Keys of intents older than ``before``, oldest first, through the sparse index."""
    params: dict[str, Any] = {
        "TableName": get_settings().members_table,
        "IndexName": INDEX,
        "KeyConditionExpression": "intentQueue = :q AND intentSince < :before",
        "ExpressionAttributeValues": {":q": {"S": QUEUE}, ":before": {"S": before}},
        "Limit": limit,
    }
    if start_key:
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    keys = [IntentKey(i["pk"]["S"], i["sk"]["S"]) for i in answer.get("Items", [])]
    return keys, answer.get("LastEvaluatedKey")


def current(key: IntentKey) -> Intent | None:
    """The intent behind an index entry, read consistently (the index lags the table)."""
    item = (
        client("dynamodb")
        .get_item(TableName=get_settings().members_table, Key=key.item_key(), ConsistentRead=True)
        .get("Item")
    )
    if item is None:
        return None
    values = from_item(item)
    kind = values.get("cognitoIntent")
    return Intent(
        key=key,
        kind=kind,
        since=values.get("intentSince"),
        member_id=values.get("memberId"),
        login_id_hash=key.pk.removeprefix("LOGINID#") if kind == "signup" else None,
        sealed_login_id=values.get("loginIdEnc") if kind == "signup" else None,
        profile=member_record(values) if key.sk == PROFILE else None,
    )
