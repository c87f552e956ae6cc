"""Request models of signup, profile and consents: the allowlist and formats (no AWS)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from partnercenter.dal.members import MarketingConsent, MemberConsents, RequiredConsent
from partnercenter.members.consents import ConsentChange, ConsentState
from partnercenter.members.decision import DecisionRequest
from partnercenter.members.profile import ProfileChange
from partnercenter.members.signup import SignupRequest

PASSWORD = "correct-horse-9"


def _signup(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "verificationId": "v-1",
        "verificationSecret": "s-1",
        "loginId": "manager.kim",
        "password": PASSWORD,
        "name": "김담당",
        "phone": "01012345678",
        "consents": {"required": {"policyVersion": "2018-03-23", "agreed": True}},
    }
    body.update(changes)
    return body


def _error_fields(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in exc.errors()]


def test_a_valid_signup_parses_with_marketing_off_by_default() -> None:
    # R-ADV-1
    request = SignupRequest.model_validate(_signup())
    assert request.consents is not None
    assert request.consents.marketing is False
    assert request.password.get_secret_value() == PASSWORD


def test_the_password_never_shows_in_a_repr() -> None:
    # R-SEC-3
    request = SignupRequest.model_validate(_signup())
    assert PASSWORD not in repr(request)
    assert PASSWORD not in str(request.model_dump())


@pytest.mark.parametrize(
    "extra", ["residentNumber", "birthDate", "email", "religion", "healthStatus"]
)
def test_anything_beyond_the_three_items_is_refused(extra: str) -> None:
    # R-COL-1
    with pytest.raises(ValidationError) as caught:
        SignupRequest.model_validate(_signup(**{extra: "x"}))
    assert _error_fields(caught.value) == [extra]


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("loginId", "abcd", True),
        ("loginId", "a.b_c-d.0123456789ab", True),
        ("loginId", "abc", False),
        ("loginId", "a" * 21, False),
        ("loginId", "ABCD", False),
        ("loginId", "kim@corp", False),
        ("phone", "01012345678", True),
        ("phone", "0111234567", True),
        ("phone", "01512345678", False),
        ("phone", "+821012345678", False),
        ("phone", "010123456789", False),
        ("password", "abcdefghi1", True),
        ("password", "abcdefgh1", False),
        ("password", "ABCDEFGHI1", False),
        ("password", "abcdefghij", False),
        ("name", "김", True),
        ("name", "김\n담당", False),
        ("name", "가" * 51, False),
    ],
)
def test_formats(field: str, value: str, ok: bool) -> None:
    if ok:
        SignupRequest.model_validate(_signup(**{field: value}))
        return
    with pytest.raises(ValidationError) as caught:
        SignupRequest.model_validate(_signup(**{field: value}))
    assert _error_fields(caught.value) == [field]


def test_profile_change_cannot_touch_the_login_id() -> None:
    # R-COL-1: the login ID is the account; only name and phone are correctable.
    with pytest.raises(ValidationError) as caught:
        ProfileChange.model_validate({"loginId": "other"})
    assert _error_fields(caught.value) == ["loginId"]
    assert ProfileChange.model_validate({"phone": "01098765432"}).verification_id is None


def test_consent_change_and_state_shapes() -> None:
    assert ConsentChange.model_validate({"marketing": True}).marketing is True
    with pytest.raises(ValidationError):
        ConsentChange.model_validate({"marketing": True, "sms": True})
    state = ConsentState.of(
        MemberConsents(
            required=RequiredConsent(policy_version="2018-03-23", agreed_at="t", channel="web"),
            marketing=MarketingConsent(agreed=False, at="t", channel="web"),
        )
    )
    assert state.model_dump(by_alias=True) == {
        "required": {"policyVersion": "2018-03-23", "agreedAt": "t", "channel": "web"},
        "marketing": {"agreed": False, "at": "t", "channel": "web"},
    }


def test_a_decision_is_approve_or_reject() -> None:
    assert DecisionRequest.model_validate({"decision": "reject"}).reason is None
    with pytest.raises(ValidationError):
        DecisionRequest.model_validate({"decision": "defer"})
