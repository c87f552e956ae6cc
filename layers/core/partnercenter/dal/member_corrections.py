"""A correction (정정) of a member's name or phone on their profile in MembersTable (R-RIGHT-1).

Domain code sees ``CorrectionTarget`` (what a correction checks on the profile as read) and
``Correction`` (the sealed new values); the attribute names and the update stay in ``dal/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from partnercenter.config import get_settings
from partnercenter.dal.codec import to_value
from partnercenter.dal.members import get_member, member_key
from partnercenter.dal.transactions import Entry


@dataclass(frozen=True)
class CorrectionTarget:
    """The profile as read: whose person it is, and the version a correction commits against."""

    member_id: str
    person_hash: str
    version: int


@dataclass(frozen=True)
class Correction:
    """New values already sealed under the member's data key, from one verification."""

    verified_at: str
    vendor: str
    name_enc: str | None = None
    phone_enc: str | None = None
    phone_hash: str | None = None


def correction_target(member_id: str) -> CorrectionTarget | None:
    member = get_member(member_id)
    if member is None:
        return None
    return CorrectionTarget(member_id, str(member["personHash"]), int(member["version"]))


def correction_entry(target: CorrectionTarget, correction: Correction) -> Entry:
    """The profile update, applied only to the version read (a concurrent change cancels)."""
    values = {
        "verifiedAt": correction.verified_at,
        "vendor": correction.vendor,
        "nameEnc": correction.name_enc,
        "phoneEnc": correction.phone_enc,
        "phoneHash": correction.phone_hash,
    }
    present = {k: v for k, v in values.items() if v is not None}
    names = {f"#a{i}": name for i, name in enumerate(present)}
    sets = [f"#a{i} = :a{i}" for i in range(len(present))]
    return Entry(
        {
            "Update": {
                "TableName": get_settings().members_table,
                "Key": member_key(target.member_id),
                "UpdateExpression": "SET " + ", ".join([*sets, "#version = :next"]),
                "ConditionExpression": "#version = :version",
                "ExpressionAttributeNames": {**names, "#version": "version"},
                "ExpressionAttributeValues": {
                    **{f":a{i}": to_value(v) for i, v in enumerate(present.values())},
                    ":version": to_value(target.version),
                    ":next": to_value(target.version + 1),
                },
            }
        }
    )
