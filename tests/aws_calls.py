"""AWS calls counted with botocore event hooks: one counter for `make bench` and the call budgets.

Every boto3 client the code creates comes from the default session, so one ``before-call``
hook on that session sees every call; an ``after-call`` hook counts the DynamoDB items each
call read (moto reports no real capacity units: count calls and items instead).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0

    def before(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1

    def after(self, parsed: dict[str, Any], **_: Any) -> None:
        if "Item" in parsed:
            self.items_read += 1
        self.items_read += len(parsed.get("Items", []))
        batch = parsed.get("Responses")
        if isinstance(batch, dict):  # BatchGetItem: the items read, per table
            self.items_read += sum(len(items) for items in batch.values())

    def measure(self, action: Callable[[], Any]) -> tuple[Counter[str], int]:
        """The calls ``action`` made, and nothing before or after it."""
        self.calls, self.items_read = Counter(), 0
        action()
        measured = Counter(self.calls), self.items_read
        self.calls, self.items_read = Counter(), 0
        return measured


@contextmanager
def counting_calls(region: str) -> Iterator[CallCounter]:
    """A counter hooked on a fresh default session (the code's clients inherit its hooks)."""
    import boto3

    from partnercenter.dal import aws

    aws.reset()
    counter = CallCounter()
    boto3.setup_default_session(region_name=region)
    events = boto3.DEFAULT_SESSION.events
    events.register("before-call", counter.before)
    events.register("after-call.dynamodb", counter.after)
    try:
        yield counter
    finally:
        events.unregister("before-call", counter.before)
        events.unregister("after-call.dynamodb", counter.after)
