"""The formats of the three personal items a member gives us (R-COL-1) and of the password."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr

LoginId = Annotated[
    str, Field(pattern=r"^[a-z0-9._-]{4,20}$", description="4-20 of lowercase a-z, 0-9, . _ -")
]
# Korean mobile numbers, digits only: 010/011/016/017/018/019 and 7-8 more digits.
Phone = Annotated[
    str,
    Field(
        pattern=r"^01[016789][0-9]{7,8}$",
        description="Korean mobile number, digits only (01012345678); as verified",
    ),
]
# A person's name as the identity vendor reports it; no control characters.
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=50,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="as the identity vendor reports it, exactly",
    ),
]


# The user pool's policy (template.yaml): a lowercase letter and a digit, in either order (the
# length is Field's). One pattern for the check and the OpenAPI document, so that a password
# the document allows is one the pool takes; [\s\S] is "any character" in both dialects.
PASSWORD_RULE = r"^[\s\S]*([a-z][\s\S]*[0-9]|[0-9][\s\S]*[a-z])[\s\S]*$"  # noqa: S105  # nosec B105 - a pattern, not a password


def _pool_policy(password: SecretStr) -> SecretStr:
    if not re.fullmatch(PASSWORD_RULE, password.get_secret_value()):
        raise ValueError("needs a lowercase letter and a digit")
    return password


# SecretStr: the value never appears in a repr, log line or validation error.
Password = Annotated[
    SecretStr,
    Field(
        min_length=10,
        max_length=256,
        description="10-256 characters with at least one lowercase letter and one digit",
        json_schema_extra={"pattern": PASSWORD_RULE},
    ),
    AfterValidator(_pool_policy),
]
