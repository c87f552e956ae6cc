"""Give moto's DynamoDB the per-item atomicity real DynamoDB has.

moto 5.2.5 checks a write's condition and then applies the write without a lock, so two
concurrent conditional writes can both pass (measured: 3 runs in 10 let two of 20 concurrent
deliveries of one verification through). Real DynamoDB never does. Serialising moto's writes
restores the guarantee our uniqueness and replay checks rely on; the code under test is
unchanged. Used by the local stack and by the tests, never deployed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_lock = threading.RLock()
_PATCHED = "_partnercenter_atomic"


def _serialised(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def atomic(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return write(*args, **kwargs)

    setattr(atomic, _PATCHED, True)
    return atomic


def make_dynamodb_writes_atomic() -> None:
    """Patch moto's DynamoDB backend once per process (repeat calls change nothing)."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        write = getattr(DynamoDBBackend, name)
        if not getattr(write, _PATCHED, False):
            setattr(DynamoDBBackend, name, _serialised(write))
