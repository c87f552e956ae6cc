"""Every log line of a request carries its correlation id: the error body's ``requestId``, or a
scheduled event's id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from partnercenter.observability import logger
from tests.support import LambdaContext, api_event, call, claims_for, handler_module, load_event


@contextmanager
def _capture() -> Iterator[list[dict[str, Any]]]:
    """The functions' log lines as Powertools formats them, decoded once the block ends."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.name)
    target.addHandler(handler)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        target.removeHandler(handler)
    lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line)


def test_a_requests_log_lines_carry_the_error_bodys_request_id(aws_stack: Any) -> None:
    with _capture() as lines:
        refused = call("profile", api_event("get-profile", claims=claims_for("no-such-member")))
    assert refused.status == 401
    assert [line["message"] for line in lines] == ["request refused"]
    assert {line.get("correlation_id") for line in lines} == {refused.body["requestId"]}


def test_a_scheduled_runs_log_lines_carry_its_event_id(aws_stack: Any) -> None:
    event = load_event("sanctions-hourly")
    with _capture() as lines:
        handler_module("sanctions").lambda_handler(event, LambdaContext())
    assert "sanction sweep done" in [line["message"] for line in lines]
    assert {line.get("correlation_id") for line in lines} == {event["id"]}
