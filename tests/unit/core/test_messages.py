"""Error messages in English and Korean: every code has both, Accept-Language picks one, the
code never changes, and neither language carries what the client sent."""

import json
import re

import pytest

from partnercenter import messages
from partnercenter.api import PartnerCenterResolver
from partnercenter.errors import IdentityMismatch, ValidationFailed
from tests.support import LambdaContext, api_event

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_every_code_has_an_english_and_a_korean_text() -> None:
    english = messages.english_catalogue()
    # The domain's codes and the edge's (415, 413) are all there, in both languages.
    assert {"IDENTITY_MISMATCH", "VALIDATION_FAILED", "INTERNAL_ERROR", "PAYLOAD_TOO_LARGE"} <= set(
        english
    )
    assert set(english) - set(messages.KOREAN) == set(), "codes without a Korean text"
    assert set(messages.KOREAN) - set(english) == set(), "Korean texts of no code"
    for code in english:
        assert english[code].strip(), code
        # English texts may quote a Korean legal term in parentheses, nothing more.
        assert not HANGUL.search(english[code].replace("(이용정지)", "")), code
        assert HANGUL.search(messages.KOREAN[code]), code


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ko", "ko"),
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("en-US,en;q=0.9,ko;q=0.8", "en"),
        ("en;q=0.5, ko;q=0.7", "ko"),
        ("fr-FR, ko;q=0.1", "ko"),
        ("ko;q=0, en", "en"),
        ("ko;q=nonsense", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_accept_language_ranks_korean_against_english(header: str | None, expected: str) -> None:
    assert messages.language(header) == expected


def _resolve(error: Exception, headers: dict[str, str]) -> tuple[int, dict]:
    app = PartnerCenterResolver()

    @app.get("/privacy-policy")
    def fail() -> None:
        raise error

    response = app.resolve(api_event("get-privacy-policy", headers=headers), LambdaContext())
    return response["statusCode"], json.loads(response["body"])


# R-SEC-3: a Korean body names fields, never the values sent.
def test_korean_body_keeps_the_code_and_the_field_names() -> None:
    error = ValidationFailed("The password does not meet the policy.", fields=["password"])
    status, korean = _resolve(error, {"Accept-Language": "ko-KR,ko;q=0.9"})
    _, english = _resolve(error, {"accept-language": "en"})
    assert status == 422
    assert (korean["code"], korean["fields"]) == (english["code"], english["fields"])
    assert korean["message"] == messages.KOREAN["VALIDATION_FAILED"]
    assert english["message"] == "The password does not meet the policy."


def test_no_accept_language_is_english() -> None:
    _, body = _resolve(IdentityMismatch(), {})
    assert body["message"] == IdentityMismatch.default_message


def test_refused_body_speaks_korean_too() -> None:
    app = PartnerCenterResolver()
    event = api_event(
        "get-privacy-policy",
        raw_body="--x\r\n",
        headers={"Content-Type": "multipart/form-data", "Accept-Language": "ko"},
    )
    body = json.loads(app.resolve(event, LambdaContext())["body"])
    assert body == {
        "code": "UNSUPPORTED_MEDIA_TYPE",
        "message": messages.KOREAN["UNSUPPORTED_MEDIA_TYPE"],
        "requestId": event["requestContext"]["requestId"],
    }
