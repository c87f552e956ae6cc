"""32 concurrent personal-data reads over the local stack, 16 warm workers per function: every
one answers 200 and leaves one access record, and the chains verify (R-SEC-2).

Own stack (``PC_MAX_WORKERS=16``). Nothing here measures time: the point is that concurrent
writers no longer fail for want of a free chain (throughput is `make bench`'s)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from local.provision import STACK_NAME
from partnercenter.clock import iso
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack, start_local_stack
from tests.support import load_event

pytestmark = pytest.mark.e2e

WORKERS = 16  # per function
# Workers are warmed this many more at a time: sixteen cold starts at once on a shared CPU (a
# second pytest-xdist worker, coverage in every process) can outlast the 30 s init limit.
WARM_STEP = 4


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    workdir = tmp_path_factory.mktemp("access-load-stack")
    stack = start_local_stack(workdir, extra_env={"PC_MAX_WORKERS": str(WORKERS)})
    try:
        yield stack
    finally:
        stack.stop()


def _records(stack: LocalStack) -> list[dict[str, Any]]:
    """Every access record (the test reads the table directly; the code never scans)."""
    pages = (
        stack.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=f"{STACK_NAME}-AccessRecordsTable")
    )
    return [item for page in pages for item in page["Items"]]


def _concurrently(requests: list[tuple[str, str]]) -> list[int]:
    """Each (url, token) GET at once (released together by a barrier); their statuses."""
    start = threading.Barrier(len(requests))

    def send(request: tuple[str, str]) -> int:
        url, token = request
        start.wait(timeout=120)
        status, _ = lifecycle.http("GET", url, token=token)
        return status

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def test_32_concurrent_personal_data_reads_all_answer_and_are_all_recorded(
    stack: LocalStack,
) -> None:
    # R-SEC-2: every access recorded, chained and verifiable, however many come at once.
    operator = lifecycle.operator_token(stack)
    member = lifecycle.active_member(
        stack, operator, lifecycle.person("load", "부하시험", lifecycle.random_phone())
    )
    lifecycle.sign_up(stack, lifecycle.person("pending", "대기중", lifecycle.random_phone()))
    own = (f"{stack.api_url}/members/me", member.token)
    listing = (f"{stack.api_url}/admin/members?status=pending_approval", operator)  # one member
    since = datetime.now(UTC) - timedelta(seconds=1)

    # Warm 16 workers of each function (they start lazily, one per concurrent call the warm
    # ones cannot take), a few cold starts at a time.
    for concurrent in range(WARM_STEP, WORKERS + 1, WARM_STEP):
        _concurrently([own] * concurrent)
        _concurrently([listing] * concurrent)
    before = {(r["chain"]["S"], r["seq"]["N"]) for r in _records(stack)}

    statuses = _concurrently([own] * WORKERS + [listing] * WORKERS)

    assert statuses == [200] * (2 * WORKERS)
    records = _records(stack)
    new = [r for r in records if (r["chain"]["S"], r["seq"]["N"]) not in before]
    assert Counter(r["action"]["S"] for r in new) == {
        "view_profile": WORKERS,
        "list_members": WORKERS,
    }
    assert len({r["chain"]["S"] for r in new}) > 1  # spread over chains

    # The anchoring job commits to every record; the review verifies them all against it.
    answer = stack.client("lambda").invoke(
        FunctionName="AccessAnchorFunction",
        Payload=json.dumps(load_event("access-anchor-hourly")).encode(),
    )
    anchored = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, anchored
    assert (anchored["records"], anchored["breaks"]) == (len(records), [])
    query = urlencode({"from": iso(since), "to": iso(datetime.now(UTC) + timedelta(minutes=1))})
    status, review = lifecycle.http(
        "GET", f"{stack.api_url}/admin/access-review?{query}", token=operator
    )
    assert status == 200, review
    assert (review["chainIntact"], review["breaks"], review["complete"]) == (True, [], True)
    assert review["recordsVerified"] == len(records)
