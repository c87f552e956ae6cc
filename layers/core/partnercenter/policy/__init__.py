"""The privacy policy as data: one versioned document per version, shipped in the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

CURRENT_VERSION = "2018-03-23"
# The items a signup collects (R-COL-1) and the purposes consent covers (R-COL-2).
REQUIRED_ITEMS = ("name", "loginId", "phone")


@lru_cache(maxsize=4)
def policy_document(version: str = CURRENT_VERSION) -> dict[str, Any]:
    """The published policy of ``version`` (R-CPO-1, R-USE-3)."""
    text = resources.files(__package__).joinpath(f"policy-{version}.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def signup_purposes(version: str = CURRENT_VERSION) -> list[str]:
    """The purposes a required consent to ``version`` agrees to."""
    for entry in policy_document(version)["collectedItems"]:
        if entry["stage"] == "signup":
            return list(entry["purposes"])
    return []
