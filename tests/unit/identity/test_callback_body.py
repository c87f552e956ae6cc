"""The vendor's return as it arrives over HTTP: any vendor's form or JSON shape, nothing else."""

from __future__ import annotations

import pytest

from partnercenter.errors import ValidationFailed
from partnercenter.identity.flow import MAX_CALLBACK_FIELDS, parse_callback_body

FORM = "application/x-www-form-urlencoded"


def test_kmc_form_post_is_read_field_by_field() -> None:
    body = "certNum=abc-_&apiToken=x%2By%3D&empty="
    assert parse_callback_body(body, FORM) == {"certNum": "abc-_", "apiToken": "x+y=", "empty": ""}


def test_form_is_the_default_without_a_content_type() -> None:
    assert parse_callback_body("identityVerificationId=iv-1", None) == {
        "identityVerificationId": "iv-1"
    }


def test_json_object_of_strings_is_accepted() -> None:
    assert parse_callback_body(
        '{"identityVerificationId": "iv-1"}', "Application/JSON; charset=utf-8"
    ) == {"identityVerificationId": "iv-1"}


@pytest.mark.parametrize("body", [None, ""])
def test_empty_body_is_no_fields(body: str | None) -> None:
    # The adapter then refuses the return as tampered: no field is no integrity.
    assert parse_callback_body(body, FORM) == {}


@pytest.mark.parametrize(
    ("body", "content_type", "fields"),
    [
        ("{", "application/json", ["body"]),
        ('["a"]', "application/json", ["body"]),
        ('{"certNum": 1, "apiToken": "x"}', "application/json", ["certNum"]),
        ("certNum=a&certNum=b", FORM, ["certNum"]),
        ("&".join(f"f{i}=x" for i in range(MAX_CALLBACK_FIELDS + 1)), FORM, ["body"]),
        (
            "{" + ",".join(f'"f{i}": "x"' for i in range(MAX_CALLBACK_FIELDS + 1)) + "}",
            "application/json",
            ["body"],
        ),
    ],
)
def test_malformed_bodies_are_refused_naming_fields_not_values(
    body: str, content_type: str, fields: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_callback_body(body, content_type)
    assert refused.value.fields == fields
    assert "x" not in refused.value.message
