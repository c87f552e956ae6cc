"""The member's token issue time, as API Gateway REST hands it on (a date, not a number)."""

from __future__ import annotations

import pytest

from partnercenter.api import _epoch_claim
from partnercenter.errors import Unauthorized


@pytest.mark.parametrize(
    ("raw", "epoch"),
    [("1795000000", 1795000000), ("Sun Mar 28 13:40:42 UTC 2021", 1616938842), (None, 0)],
)
def test_iat_in_either_form(raw: str | None, epoch: int) -> None:
    # R-CK-1 depends on it: tokens issued before a sign-out are refused by this time.
    assert _epoch_claim(raw) == epoch


def test_an_unreadable_iat_is_unauthorized() -> None:
    with pytest.raises(Unauthorized):
        _epoch_claim("yesterday")
