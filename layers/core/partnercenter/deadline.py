"""When work that must finish inside one invocation stops: the Lambda's remaining time less a
margin (to answer, store a report, publish metrics), and optionally a budget of its own (an API
answer must come within API Gateway's 29 s). Logic takes ``deadline.passed`` as its
``out_of_time`` callable, so tests can drive it with any callable."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class Deadline:
    def __init__(
        self,
        remaining_ms: Callable[[], int],
        safety_ms: int = 10_000,
        *,
        budget_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._remaining_ms = remaining_ms
        self._safety_ms = safety_ms
        self._clock = clock
        self._budget_end = clock() + budget_seconds if budget_seconds is not None else None

    @classmethod
    def of(
        cls, context: Any, *, margin_seconds: float, budget_seconds: float | None = None
    ) -> Deadline:
        """The deadline of the invocation ``context`` (a Lambda context object)."""
        return cls(
            context.get_remaining_time_in_millis,
            int(margin_seconds * 1000),
            budget_seconds=budget_seconds,
        )

    def passed(self) -> bool:
        if self._budget_end is not None and self._clock() >= self._budget_end:
            return True
        return self._remaining_ms() <= self._safety_ms
