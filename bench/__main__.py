"""`make bench`: every benchmark, each printing ratios measured within its own run."""

from __future__ import annotations

import importlib
import os

# Small sizes in CI keep the run short; a developer gets the full sizes.
BENCHMARKS = [
    "bench.cold_start",
    "bench.first_request",
    "bench.signup_calls",
    "bench.purge",
    "bench.access_records",
]


def main() -> None:
    if os.environ.get("CI"):
        os.environ.setdefault("BENCH_SMALL", "1")
    for name in BENCHMARKS:
        print(f"\n=== {name}")
        importlib.import_module(name).main([])


if __name__ == "__main__":
    main()
