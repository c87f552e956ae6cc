"""Access records written per second at 1, 8 and 32 concurrent writers, as ratios against 1.

In process against moto built from the template, writers as threads calling record_access,
as concurrent Lambda invocations would. moto answers at CPU speed behind the GIL, where
DynamoDB answers over the network in milliseconds: every DynamoDB call therefore waits a
fixed round trip (``--latency-ms``, a typical in-region figure) before moto serves it, so the
numbers show what concurrency buys and what contention costs, not moto's CPU. The same run
measures the single chain the records used to have (``CHAINS = 1``) for comparison, and
counts the writes lost to a race (a conditional put on a taken seq). After each design's run
every chain is verified.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import REGION, aws_environment

LEVELS = (1, 8, 32)


class RoundTrips:
    """Waits a fixed round trip before each DynamoDB call; counts PutItems."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s
        self.puts = 0
        self._lock = threading.Lock()

    def before(self, event_name: str, **_: Any) -> None:
        if event_name.endswith(".PutItem"):
            with self._lock:
                self.puts += 1
        time.sleep(self.latency_s)


def _write(writers: int, records: int) -> tuple[float, int]:
    """``writers`` threads try ``records`` access records between them: the seconds taken,
    and how many gave up (AccessRecordNotWritten: the caller's request would fail)."""
    from partnercenter.audit.access_records import AccessRecordNotWritten, record_access

    def one(i: int) -> bool:
        try:
            record_access(
                actor=f"op-{i % writers}", actor_role="operator", member_id=f"m-{i}", action="b"
            )
        except AccessRecordNotWritten:
            return False
        return True

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=writers) as pool:
        written = sum(pool.map(one, range(records)))
    return time.perf_counter() - started, records - written


def _design(label: str, chains: int, records: int, trips: RoundTrips) -> None:
    from partnercenter.audit import access_records

    access_records.CHAINS = chains
    rates: dict[int, float] = {}
    lost: dict[int, int] = {}
    failed: dict[int, int] = {}
    for writers in LEVELS:
        trips.puts = 0
        seconds, failed[writers] = _write(writers, records)
        written = records - failed[writers]
        rates[writers] = written / seconds
        lost[writers] = trips.puts - written
    report = access_records.verify_chain()
    assert report.intact, report.breaks  # a benchmark of broken chains would be worthless
    print(f"{label} ({chains} chain{'s' if chains > 1 else ''}):")
    for writers in LEVELS:
        print(
            f"  {writers:>2} writers: {rates[writers] / rates[1]:5.2f}x the records/s of 1"
            f"   ({lost[writers]:>4} puts lost to a race, {failed[writers]:>3} of {records}"
            " requests failed)"
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.access_records")
    small = bool(os.environ.get("BENCH_SMALL"))
    parser.add_argument(
        "--records", type=int, default=64 if small else 320, help="records per level"
    )
    parser.add_argument("--latency-ms", type=float, default=8.0, help="per DynamoDB call")
    args = parser.parse_args(argv)
    aws_environment(log_level="WARNING")

    from moto import mock_aws

    from local.moto_atomicity import make_dynamodb_writes_atomic
    from local.provision import provision
    from local.template import load_template

    make_dynamodb_writes_atomic()  # conditional puts as atomic as DynamoDB's
    warnings.filterwarnings("ignore", message="No application metrics")
    with mock_aws():
        model = load_template()
        provisioned = provision(model, region=REGION, seed_vendor_secret=True)
        for function_id in model.functions:
            for key, value in provisioned.function_environment(function_id).items():
                if not key.startswith("AWS_") and key != "POWERTOOLS_SERVICE_NAME":
                    os.environ[key] = value

        from partnercenter.audit import access_records
        from partnercenter.config import get_settings
        from partnercenter.dal import aws

        get_settings.cache_clear()
        aws.reset()
        trips = RoundTrips(args.latency_ms / 1000)
        aws.client("dynamodb").meta.events.register("before-call.dynamodb", trips.before)
        chains = access_records.CHAINS
        print(f"a {args.latency_ms:g} ms round trip per DynamoDB call; ratios within this run")
        _design("many chains", chains, args.records, trips)
        _design("one chain, as before", 1, args.records, trips)
        access_records.CHAINS = chains


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
