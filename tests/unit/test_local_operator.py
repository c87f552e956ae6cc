"""local.operator's authenticator computes real RFC 6238 codes (what Cognito checks)."""

from __future__ import annotations

import base64

from local.operator import totp

# RFC 6238, appendix B: the SHA-1 key "12345678901234567890"; 6-digit codes are the last six
# digits of the 8-digit ones listed there.
RFC_KEY = base64.b32encode(b"12345678901234567890").decode().rstrip("=")


# R-SEC-2
def test_codes_match_rfc_6238() -> None:
    authenticator = totp(RFC_KEY)
    assert authenticator.generate(59) == b"287082"
    assert authenticator.generate(1111111109) == b"081804"
    assert authenticator.generate(2000000000) == b"279037"


def test_unpadded_lowercase_secrets_are_read_as_cognito_hands_them_out() -> None:
    assert totp(RFC_KEY.lower()).generate(59) == b"287082"
