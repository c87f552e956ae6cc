"""Named transactions on moto: entries and cancellations go by name, limits are explicit."""

from __future__ import annotations

from typing import Any

import pytest

from partnercenter.dal.transactions import (
    MAX_ITEMS,
    Entry,
    Transaction,
    TransactionCancelled,
    TransactionTooLarge,
    write_in_batches,
)

pytestmark = pytest.mark.usefixtures("aws_stack")


def _table() -> str:
    from partnercenter.config import get_settings

    return get_settings().members_table


def _put(pk: str, *, new: bool = True) -> Entry:
    item: dict[str, Any] = {
        "TableName": _table(),
        "Item": {"pk": {"S": pk}, "sk": {"S": "PROFILE"}},
    }
    if new:
        item["ConditionExpression"] = "attribute_not_exists(pk)"
    return Entry({"Put": item})


def _count(prefix: str) -> int:
    from partnercenter.dal.aws import client

    pages = client("dynamodb").get_paginator("scan").paginate(TableName=_table())
    return sum(1 for page in pages for item in page["Items"] if item["pk"]["S"].startswith(prefix))


def test_a_cancellation_names_the_entry_whose_condition_failed() -> None:
    Transaction().add("first", _put("t-taken")).commit()
    tx = Transaction().add("fresh", _put("t-fresh")).add("guard", _put("t-taken"))
    with pytest.raises(TransactionCancelled) as cancelled:
        tx.commit()
    assert cancelled.value.failed("guard")
    assert not cancelled.value.failed("fresh")
    assert _count("t-fresh") == 0  # all or nothing


def test_a_group_fails_as_one_name() -> None:
    Transaction().add("first", _put("g-taken")).commit()
    tx = Transaction().add_group("history", [_put("g-a"), _put("g-taken")])
    with pytest.raises(TransactionCancelled) as cancelled:
        tx.commit()
    assert cancelled.value.failed("history")
    assert "g-" not in str(cancelled.value).replace("history", "")  # names only, no keys


def test_past_the_limit_a_transaction_is_refused_and_writes_nothing() -> None:
    tx = Transaction().add_group("many", [_put(f"l-{n}") for n in range(MAX_ITEMS + 1)])
    with pytest.raises(TransactionTooLarge):
        tx.commit()
    assert _count("l-") == 0


def test_fill_splits_explicitly_and_the_rest_is_written_in_batches() -> None:
    tx = Transaction().add("head", _put("f-head"))
    rest = tx.fill("history", [_put(f"f-{n}") for n in range(MAX_ITEMS + 20)], keep_free=1)
    assert len(tx) == MAX_ITEMS - 1
    assert len(rest) == 22
    tx.commit()
    write_in_batches("history", rest)
    assert _count("f-") == MAX_ITEMS + 21


def test_one_name_is_one_entry() -> None:
    with pytest.raises(ValueError, match="already"):
        Transaction().add("same", _put("d-1")).add("same", _put("d-2"))
