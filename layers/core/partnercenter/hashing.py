"""Keyed hashes and pseudonyms, with the key from Secrets Manager (never clear-text lookups)."""

from __future__ import annotations

from partnercenter.config import get_settings
from partnercenter.crypto import keyed_hash
from partnercenter.dal.aws import get_secret


def lookup_hash(kind: str, value: str) -> str:
    """Hash for a uniqueness or lookup key: kind is ``login_id``, ``person`` or ``phone``."""
    return keyed_hash(get_secret(get_settings().lookup_hash_secret), kind, value)


def login_id_hash(login_id: str) -> str:
    return lookup_hash("login_id", login_id.lower())


def person_hash(ci: str) -> str:
    # CI, not DI: the DI changes when the vendor changes (R-IDV-4).
    return lookup_hash("person", ci)


def phone_hash(phone: str) -> str:
    return lookup_hash("phone", phone)


def subject_pseudonym(member_id: str) -> str:
    """How records that must outlive a member (destruction, access) name them (R-RET-7)."""
    return "subj-" + lookup_hash("subject", member_id)[:32]
