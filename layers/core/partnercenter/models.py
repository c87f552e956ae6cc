"""What the edge and the domain share: the API's body base, the caller, common field types.

A base module: the edge (``api``) and every domain package import it, it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

PRIVACY_ADMIN_GROUP = "privacy-admin"

# A short free text (reasons, notes): no control characters.
Text = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]+$")]


class ApiModel(BaseModel):
    """Base of request and response bodies: camelCase on the wire, unknown fields refused.

    Validators are built on first use, not at import (``defer_build``): a function imports
    many more models than its routes take. SnapStart's priming builds every one before the
    snapshot (``partnercenter.snapstart``).
    """

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True
    )


@dataclass(frozen=True)
class Caller:
    member_id: str
    groups: tuple[str, ...]
    issued_at: int
    source_ip: str
    # The token's cognito:username (a member's login ID: personal data, so kept out of repr);
    # operators' Cognito checks ask by it.
    username: str = field(default="", repr=False)

    @property
    def is_privacy_admin(self) -> bool:
        return PRIVACY_ADMIN_GROUP in self.groups
