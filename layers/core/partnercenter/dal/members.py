"""MembersTable: member profiles, uniqueness guards and consent history (docs/data-model.md).

Domain code sees ``MemberRecord``, ``LoginIdGuard`` and ``ConsentRecord``; the items, their
attribute names and the conditions of every write stay here. Each write a transaction carries
is a rule-named function returning a ``transactions.Entry``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from partnercenter.config import get_settings
from partnercenter.dal.aws import client
from partnercenter.dal.codec import from_item, to_item, to_value
from partnercenter.dal.pagination import KeyCondition
from partnercenter.dal.transactions import Entry

PROFILE = "PROFILE"
GUARD = "GUARD"
PENDING_APPROVAL = "pending_approval"
ACTIVE = "active"
# The Cognito intent a profile carries (dal.intents): the sparse byIntent index's keys.
INTENT_QUEUE = "cognito"
MARK = ("intentQueue", "intentSince", "cognitoIntent")


@dataclass(frozen=True)
class RequiredConsent:
    policy_version: str
    agreed_at: str
    channel: str


@dataclass(frozen=True)
class MarketingConsent:
    agreed: bool
    at: str
    channel: str


@dataclass(frozen=True)
class MemberConsents:
    """The profile's current consents; the history explains how they came to be (R-COL-2)."""

    required: RequiredConsent
    marketing: MarketingConsent


@dataclass(frozen=True)
class ProcessingSuspension:
    """Since when, and on which privacy request, optional processing of the member is halted
    (처리정지); ``dal.processing_suspensions`` records it."""

    since: str
    privacy_request_id: str


@dataclass(frozen=True, repr=False)
class MemberRecord:
    """A member's profile item. The three personal items are ciphertexts under the member's
    data key; no repr, so not even those reach a log line."""

    member_id: str
    status: str
    version: int
    requested_at: str
    name_enc: str
    phone_enc: str
    login_id_enc: str
    login_id_hash: str
    person_hash: str
    phone_hash: str | None
    vendor: str
    verified_at: str
    consents: MemberConsents
    approved_at: str | None = None
    # Tokens issued at or before this epoch second are refused (R-CK-1).
    signed_out_at: int = 0
    # Open sanctions by id, as sanctions.rules reads them (``startsAt``, ``endsAt``?).
    sanctions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The Cognito intent the profile carries while an operation changes the account.
    cognito_intent: str | None = None
    # What the profile shows of the member's sanction records, by id (the map entries of
    # ``dal.sanctions.summary_value``), written in the same transaction as each record; None on
    # a profile written before it was kept here (then SanctionsTable is read).
    sanction_records: Mapping[str, Mapping[str, Any]] | None = field(default_factory=dict)
    # On the profile, so every route that reads the member reads it too (no extra call).
    processing_suspension: ProcessingSuspension | None = None

    def __repr__(self) -> str:
        return f"MemberRecord({self.member_id!r}, status={self.status!r})"

    def sealed(self, item: str) -> str:
        """The ciphertext of ``item`` (``name``, ``phone`` or ``loginId``)."""
        return {"name": self.name_enc, "phone": self.phone_enc, "loginId": self.login_id_enc}[item]


@dataclass(frozen=True)
class LoginIdGuard:
    """Who holds a login ID: a member (``member_id``), or a signup's claim before that."""

    login_id_hash: str
    member_id: str | None
    signup_receipt: str | None


@dataclass(frozen=True)
class ConsentRecord:
    """One consent-history record (R-COL-2): version, items, purposes, time, channel."""

    member_id: str
    kind: str
    agreed: bool
    policy_version: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    channel: str
    at: str
    # To the microsecond: two changes within one second both stay in the history.
    at_micro: str


@dataclass(frozen=True)
class IdentityCorrection:
    """A profile's name and/or phone corrected after a new verification (R-RIGHT-1)."""

    verified_at: str
    vendor: str
    name_enc: str | None = None
    phone_enc: str | None = None
    phone_hash: str | None = None


@dataclass(frozen=True, repr=False)
class MemberListing:
    """What the byStatus index holds of a member (its projection), for lists."""

    member_id: str
    requested_at: str
    login_id_enc: str
    phone_hash: str | None


@dataclass(frozen=True)
class MemberPage:
    listings: list[MemberListing]
    last_key: dict[str, Any] | None


SUSPENSION_ATTRIBUTE = "processingSuspension"
_ATTRIBUTE_FIELDS = {
    "memberId": "member_id",
    "status": "status",
    "version": "version",
    "requestedAt": "requested_at",
    "nameEnc": "name_enc",
    "phoneEnc": "phone_enc",
    "loginIdEnc": "login_id_enc",
    "loginIdHash": "login_id_hash",
    "personHash": "person_hash",
    "phoneHash": "phone_hash",
    "vendor": "vendor",
    "verifiedAt": "verified_at",
    "approvedAt": "approved_at",
    "signedOutAt": "signed_out_at",
    "sanctions": "sanctions",
    "sanctionRecords": "sanction_records",
    "cognitoIntent": "cognito_intent",
}


def member_key(member_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": PROFILE}}


def has_profile(member_id: str) -> bool:
    """Whether a member has a profile (any status), without reading it (the operator views'
    404)."""
    answer = client("dynamodb").get_item(
        TableName=get_settings().members_table, Key=member_key(member_id), ProjectionExpression="pk"
    )
    return "Item" in answer


def login_id_guard_key(login_id_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"LOGINID#{login_id_hash}"}, "sk": {"S": GUARD}}


def person_guard_key(person_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"PERSON#{person_hash}"}, "sk": {"S": GUARD}}


# ---------------------------------------------------------------------------- item <-> record
def member_record(values: Mapping[str, Any]) -> MemberRecord:
    """The record of a profile item already decoded by ``codec.from_item``."""
    consents = values["consents"]
    required, marketing = consents["required"], consents["marketing"]
    known = {
        python: values[attribute]
        for attribute, python in _ATTRIBUTE_FIELDS.items()
        if values.get(attribute) is not None
    }
    known["version"] = int(known["version"])
    known["signed_out_at"] = int(known.get("signed_out_at") or 0)
    known.setdefault("phone_hash", None)
    known.setdefault("sanction_records", None)  # a profile written before they were kept
    suspension = values.get(SUSPENSION_ATTRIBUTE)
    return MemberRecord(
        **known,
        processing_suspension=(
            ProcessingSuspension(str(suspension["since"]), str(suspension["requestId"]))
            if suspension
            else None
        ),
        consents=MemberConsents(
            required=RequiredConsent(
                policy_version=str(required["policyVersion"]),
                agreed_at=str(required["agreedAt"]),
                channel=str(required["channel"]),
            ),
            marketing=MarketingConsent(
                agreed=bool(marketing["agreed"]),
                at=str(marketing["at"]),
                channel=str(marketing["channel"]),
            ),
        ),
    )


def _consents_value(consents: MemberConsents) -> dict[str, Any]:
    return {
        "required": _required_value(consents.required),
        "marketing": _marketing_value(consents.marketing),
    }


def _required_value(consent: RequiredConsent) -> dict[str, Any]:
    return {
        "policyVersion": consent.policy_version,
        "agreedAt": consent.agreed_at,
        "channel": consent.channel,
    }


def _marketing_value(consent: MarketingConsent) -> dict[str, Any]:
    return {"agreed": consent.agreed, "at": consent.at, "channel": consent.channel}


def _profile_item(member: MemberRecord) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pk": f"MEMBER#{member.member_id}",
        "sk": PROFILE,
        **{
            attribute: getattr(member, python)
            for attribute, python in _ATTRIBUTE_FIELDS.items()
            if attribute not in ("signedOutAt", "sanctions", "sanctionRecords")
        },
        "consents": _consents_value(member.consents),
        # Kept from the start, so that no new profile needs SanctionsTable to be shown.
        "sanctionRecords": {k: dict(v) for k, v in (member.sanction_records or {}).items()},
    }
    if member.signed_out_at:
        values["signedOutAt"] = member.signed_out_at
    if member.sanctions:
        values["sanctions"] = {k: dict(v) for k, v in member.sanctions.items()}
    return to_item(values)


def consent_record_item(record: ConsentRecord) -> dict[str, Any]:
    """The consent-history item (also what test seeding writes in batches)."""
    return to_item(
        {
            "pk": f"MEMBER#{record.member_id}",
            "sk": f"CONSENT#{record.at_micro}#{record.kind}",
            "kind": record.kind,
            "agreed": record.agreed,
            "policyVersion": record.policy_version,
            "items": list(record.items),
            "purposes": list(record.purposes),
            "channel": record.channel,
            "at": record.at,
        }
    )


# ---------------------------------------------------------------------------- reads
def get_member(member_id: str) -> MemberRecord | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().members_table, Key=member_key(member_id), ConsistentRead=True
        )
        .get("Item")
    )
    return member_record(from_item(item)) if item else None


def query_by_status(status: str, limit: int, start_key: dict[str, Any] | None) -> MemberPage:
    """One page of members in ``status``, oldest request first, through the byStatus index."""
    params: dict[str, Any] = {
        "TableName": get_settings().members_table,
        "IndexName": "byStatus",
        "KeyConditionExpression": "#s = :s",
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": {":s": {"S": status}},
        "Limit": limit,
    }
    condition = KeyCondition(equal={"status": status}, other=("pk", "sk", "requestedAt"))
    if condition.start_key(start_key):
        params["ExclusiveStartKey"] = start_key
    answer = client("dynamodb").query(**params)
    listings = []
    for item in answer.get("Items", []):
        values = from_item(item)
        listings.append(
            MemberListing(
                member_id=values["memberId"],
                requested_at=values["requestedAt"],
                login_id_enc=values["loginIdEnc"],
                phone_hash=values.get("phoneHash"),
            )
        )
    return MemberPage(listings, answer.get("LastEvaluatedKey"))


def login_id_guard(login_id_hash: str) -> LoginIdGuard | None:
    """The login ID's guard (a member's, or a signup's claim), read consistently."""
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().members_table,
            Key=login_id_guard_key(login_id_hash),
            ConsistentRead=True,
        )
        .get("Item")
    )
    if item is None:
        return None
    values = from_item(item)
    return LoginIdGuard(
        login_id_hash=login_id_hash,
        member_id=values.get("memberId"),
        signup_receipt=values.get("signupReceipt"),
    )


def login_id_guard_exists(login_id_hash: str) -> bool:
    item = (
        client("dynamodb")
        .get_item(
            TableName=get_settings().members_table,
            Key=login_id_guard_key(login_id_hash),
            ConsistentRead=True,
            ProjectionExpression="pk",
        )
        .get("Item")
    )
    return item is not None


def member_item_keys(member_id: str) -> list[dict[str, Any]]:
    """Keys of every item under the member's partition (profile, consent history)."""
    paginator = client("dynamodb").get_paginator("query")
    pages = paginator.paginate(
        TableName=get_settings().members_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"MEMBER#{member_id}"}},
        ProjectionExpression="pk, sk",
        ConsistentRead=True,
    )
    return [item for page in pages for item in page.get("Items", [])]


# ---------------------------------------------------------------------------- entries
def _put(item: dict[str, Any]) -> Entry:
    """A put that never overwrites: the item must be new."""
    return Entry(
        {
            "Put": {
                "TableName": get_settings().members_table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    )


def new_profile_put(member: MemberRecord) -> Entry:
    return _put(_profile_item(member))


def person_guard_put(person_hash: str, member_id: str) -> Entry:
    """One membership per person (R-IDV-3): fails if the person is a member already."""
    return _put({**person_guard_key(person_hash), "memberId": {"S": member_id}})


def login_id_guard_put(login_id_hash: str, member_id: str) -> Entry:
    """The member's login-ID guard; fails if the login ID is held."""
    return _put({**login_id_guard_key(login_id_hash), "memberId": {"S": member_id}})


def claimed_login_id_guard_put(
    login_id_hash: str, member_id: str, claimed_since: str, receipt: str | None
) -> Entry:
    """The member's login-ID guard replacing the signup's own claim made at ``claimed_since``
    (and so clearing it); it keeps the request's receipt, so a retry under the same
    Idempotency-Key finds its answer."""
    item = {**login_id_guard_key(login_id_hash), "memberId": {"S": member_id}}
    if receipt is not None:
        item["signupReceipt"] = {"S": receipt}
    return Entry(
        {
            "Put": {
                "TableName": get_settings().members_table,
                "Item": item,
                "ConditionExpression": "intentSince = :claimed",
                "ExpressionAttributeValues": {":claimed": {"S": claimed_since}},
            }
        }
    )


def consent_record_put(record: ConsentRecord) -> Entry:
    """Appends one consent-history record; never overwrites one."""
    return _put(consent_record_item(record))


def _profile_update(member_id: str, version: int, values: dict[str, Any]) -> Entry:
    """Sets profile attributes (``a.b`` for a map entry).

    Optimistic locking: applies only to ``version`` and bumps it, so a concurrent change wins
    cleanly instead of being overwritten.
    """
    names: dict[str, str] = {}
    assignments = []
    for index, path in enumerate(values):
        parts = []
        for depth, part in enumerate(path.split(".")):
            names[f"#p{index}_{depth}"] = part
            parts.append(f"#p{index}_{depth}")
        assignments.append(f"{'.'.join(parts)} = :p{index}")
    return Entry(
        {
            "Update": {
                "TableName": get_settings().members_table,
                "Key": member_key(member_id),
                "UpdateExpression": "SET " + ", ".join([*assignments, "version = :next"]),
                "ConditionExpression": "version = :version",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {
                    **{f":p{i}": to_value(v) for i, v in enumerate(values.values())},
                    ":version": {"N": str(version)},
                    ":next": {"N": str(version + 1)},
                },
            }
        }
    )


def identity_correction(member_id: str, version: int, change: IdentityCorrection) -> Entry:
    """The profile's corrected name/phone and the verification behind them, at ``version``."""
    values: dict[str, Any] = {"verifiedAt": change.verified_at, "vendor": change.vendor}
    if change.name_enc is not None:
        values["nameEnc"] = change.name_enc
    if change.phone_enc is not None:
        values["phoneEnc"] = change.phone_enc
        values["phoneHash"] = change.phone_hash
    return _profile_update(member_id, version, values)


def required_consent_update(member_id: str, version: int, consent: RequiredConsent) -> Entry:
    return _profile_update(member_id, version, {"consents.required": _required_value(consent)})


def marketing_consent_update(member_id: str, version: int, consent: MarketingConsent) -> Entry:
    return _profile_update(member_id, version, {"consents.marketing": _marketing_value(consent)})


def open_sanctions_update(
    member_id: str,
    version: int,
    sanctions: Mapping[str, Mapping[str, str]],
    records: Mapping[str, Mapping[str, Any]] | None = None,
) -> Entry:
    """The profile's open sanctions replaced, at ``version``; with ``records``, what it shows
    of the sanction records too."""
    values: dict[str, Any] = {"sanctions": {k: dict(v) for k, v in sanctions.items()}}
    if records is not None:
        values["sanctionRecords"] = {k: dict(v) for k, v in records.items()}
    return _profile_update(member_id, version, values)


def pending_profile_delete(member_id: str) -> Entry:
    """The profile goes only while still pending: a decision that raced changes nothing."""
    return Entry(
        {
            "Delete": {
                "TableName": get_settings().members_table,
                "Key": member_key(member_id),
                "ConditionExpression": "#s = :pending",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":pending": {"S": PENDING_APPROVAL}},
            }
        }
    )


def _own_guard_delete(key: dict[str, Any], member_id: str) -> Entry:
    return Entry(
        {
            "Delete": {
                "TableName": get_settings().members_table,
                "Key": key,
                "ConditionExpression": "memberId = :m",
                "ExpressionAttributeValues": {":m": {"S": member_id}},
            }
        }
    )


def own_login_id_guard_delete(member: MemberRecord) -> Entry:
    """The member's login-ID guard, only while still theirs."""
    return _own_guard_delete(login_id_guard_key(member.login_id_hash), member.member_id)


def own_person_guard_delete(member: MemberRecord) -> Entry:
    """The member's person guard, only while still theirs."""
    return _own_guard_delete(person_guard_key(member.person_hash), member.member_id)


def versioned_profile_delete(member: MemberRecord) -> Entry:
    """The profile as read: a concurrent change (its ``version``) cancels the deletion."""
    return Entry(
        {
            "Delete": {
                "TableName": get_settings().members_table,
                "Key": member_key(member.member_id),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(member.version)}},
            }
        }
    )


def guard_deletes_unless_taken(member: MemberRecord) -> list[Entry]:
    """The member's login-ID and person guards: gone already is fine, another member's is not."""
    return [
        Entry(
            {
                "Delete": {
                    "TableName": get_settings().members_table,
                    "Key": key,
                    "ConditionExpression": "attribute_not_exists(pk) OR memberId = :m",
                    "ExpressionAttributeValues": {":m": {"S": member.member_id}},
                }
            }
        )
        for key in (
            login_id_guard_key(member.login_id_hash),
            person_guard_key(member.person_hash),
        )
    ]


def partition_deletes(member_id: str) -> list[Entry]:
    """Every item still under the member's partition, the profile included (clean-up)."""
    return [
        Entry({"Delete": {"TableName": get_settings().members_table, "Key": key}})
        for key in member_item_keys(member_id)
    ]


def history_deletes(member_id: str) -> list[Entry]:
    """Every item of the member's partition but the profile (consent history)."""
    return [
        Entry({"Delete": {"TableName": get_settings().members_table, "Key": key}})
        for key in member_item_keys(member_id)
        if key["sk"]["S"] != PROFILE
    ]


# ---------------------------------------------------------------------------- single writes
def _transition(
    member_id: str,
    from_status: str,
    to_status: str,
    values: dict[str, Any],
    remove: tuple[str, ...] = (),
) -> bool:
    """Move the profile between statuses, setting ``values`` and removing ``remove``.

    False if the profile is not in ``from_status`` (gone, or decided meanwhile).
    """
    from botocore.exceptions import ClientError

    names = {"#status": "status"}
    names.update({f"#v{i}": name for i, name in enumerate(values)})
    names.update({f"#r{i}": name for i, name in enumerate(remove)})
    assigned = {f":v{i}": to_value(value) for i, value in enumerate(values.values())}
    sets = ["#status = :to", "version = version + :one"]
    sets += [f"#v{i} = :v{i}" for i in range(len(values))]
    expression = "SET " + ", ".join(sets)
    if remove:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
    try:
        client("dynamodb").update_item(
            TableName=get_settings().members_table,
            Key=member_key(member_id),
            UpdateExpression=expression,
            ConditionExpression="#status = :from",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":to": {"S": to_status},
                ":from": {"S": from_status},
                ":one": {"N": "1"},
                **assigned,
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def approve(member_id: str, approved_at: str, intent_since: str) -> bool:
    """Pending -> active, carrying the intent to enable the account (the profile's mark):
    should the request die before the account is enabled, the reconciler enables it. False if
    the signup is no longer pending."""
    mark = {"intentQueue": INTENT_QUEUE, "intentSince": intent_since, "cognitoIntent": "approve"}
    return _transition(member_id, PENDING_APPROVAL, ACTIVE, {"approvedAt": approved_at, **mark})


def undo_approval(member_id: str) -> bool:
    """Active -> pending again, as before ``approve`` (its account could not be enabled)."""
    return _transition(member_id, ACTIVE, PENDING_APPROVAL, {}, remove=("approvedAt", *MARK))


def set_signed_out(member_id: str, epoch: int) -> bool:
    """Tokens issued at or before ``epoch`` are refused from now on; False if no profile."""
    from botocore.exceptions import ClientError

    try:
        client("dynamodb").update_item(
            TableName=get_settings().members_table,
            Key=member_key(member_id),
            UpdateExpression="SET signedOutAt = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":at": {"N": str(epoch)}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


# ---------------------------------------------------------------- consent history, read back
_CONSENT = "CONSENT#"


def _consent_record(member_id: str, values: dict[str, Any]) -> ConsentRecord:
    return ConsentRecord(
        member_id=member_id,
        kind=str(values["kind"]),
        agreed=bool(values["agreed"]),
        policy_version=str(values["policyVersion"]),
        items=tuple(str(i) for i in values.get("items", ())),
        purposes=tuple(str(p) for p in values.get("purposes", ())),
        channel=str(values["channel"]),
        at=str(values["at"]),
        at_micro=str(values["sk"]).split("#")[1],
    )


def consent_history(member_id: str, limit: int) -> tuple[ConsentRecord, ...]:
    """The member's consent-history records, newest first, at most ``limit`` of them."""
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=get_settings().members_table,
            KeyConditionExpression="pk = :p AND begins_with(sk, :c)",
            ExpressionAttributeValues={
                ":p": {"S": f"MEMBER#{member_id}"},
                ":c": {"S": _CONSENT},
            },
            ScanIndexForward=False,
            ConsistentRead=True,
            PaginationConfig={"MaxItems": limit},
        )
    )
    items = (item for page in pages for item in page.get("Items", []))
    return tuple(_consent_record(member_id, from_item(i)) for i in islice(items, limit))
