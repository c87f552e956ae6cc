"""The privacy policy as data: one versioned document per version, shipped in the package.

``CURRENT_VERSION`` is the packaged baseline; versions operators publish later (R-NOT-1, see
``policy.versions``) take over once effective, so "the current version" is ``current_version``.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

CURRENT_VERSION = "2018-03-23"
# The items a signup collects (R-COL-1) and the purposes consent covers (R-COL-2).
REQUIRED_ITEMS = ("name", "loginId", "phone")


@lru_cache(maxsize=4)
def packaged_document(version: str) -> dict[str, Any] | None:
    """The document shipped in the package for ``version``, if there is one."""
    path = resources.files(__package__).joinpath(f"policy-{version}.json")
    if not path.is_file():
        return None
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return document


@lru_cache(maxsize=4)
def korean_original(version: str) -> str:
    """The packaged policy's text as published in Korean: the original, of which the document
    is the English rendering (R-CPO-1)."""
    return resources.files(__package__).joinpath(f"policy-{version}.ko.txt").read_text("utf-8")


def policy_document(version: str = CURRENT_VERSION) -> dict[str, Any]:
    """The policy of ``version``, packaged or published (R-CPO-1, R-USE-3); a copy."""
    document = packaged_document(version)
    if document is not None:
        return copy.deepcopy(document)
    from partnercenter.policy.versions import published_document

    published = published_document(version)
    if published is None:
        raise KeyError("unknown privacy-policy version")
    return published


def current_version(now: datetime | None = None) -> str:
    """The latest version in effect at ``now``: what a required consent must name (R-COL-2)."""
    from partnercenter.clock import utc_now
    from partnercenter.policy.versions import effective_version

    effective = effective_version(now or utc_now())
    return effective.version if effective else CURRENT_VERSION


def signup_purposes(version: str = CURRENT_VERSION) -> list[str]:
    """The purposes a required consent to ``version`` agrees to."""
    for entry in policy_document(version)["collectedItems"]:
        if entry["stage"] == "signup":
            return list(entry["purposes"])
    return []
