"""`make bench` is code too: each benchmark runs end to end at a tiny size, so a rename in the
layer breaks the suite rather than the next person's benchmark run. Nothing here reads a time:
the benchmarks print their own ratios; these tests only ask that they ran and agreed."""

from __future__ import annotations

import os

from tests.support import CODE_PATH, fresh_python


def _bench(module: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": CODE_PATH}
    env.pop("AWS_ENDPOINT_URL", None)
    return fresh_python(["-m", module, *args], env, timeout=300)


def test_the_purge_benchmark_runs_both_loops_and_they_purge_the_same() -> None:
    # bench.purge asserts that its purge and the naive loop each destroyed exactly k subjects.
    printed = _bench("bench.purge", "--n", "40", "--k", "4")
    assert "items read per purged item" in printed
    assert "naive" in printed


def test_the_call_counting_benchmark_counts_the_batch_reads_items() -> None:
    printed = _bench("bench.signup_calls")
    [profile] = [line for line in printed.splitlines() if line.startswith("GET /members/me")]
    # The member and their data key come back from one BatchGetItem: two items read.
    assert "dynamodb.BatchGetItem 1" in profile
    assert " 2 items read" in profile, profile
