"""Access records written per second at 1, 8 and 32 concurrent writers, as ratios against 1.

In process against moto built from the template, writers as threads calling record_access,
as concurrent Lambda invocations would. moto answers at CPU speed behind the GIL, where
DynamoDB answers over the network in milliseconds: every DynamoDB call therefore waits a
fixed round trip (``--latency-ms``, a typical in-region figure) before moto serves it, so the
numbers show what concurrency buys and what contention costs, not moto's CPU. The same run
measures, for comparison, the writers that read the chain's head before every append (as
before issue 17) and the single chain the records used to have (``CHAINS = 1``), and counts
the writes lost to a race (a conditional put on a taken seq). Every rate is printed against
one baseline of the same run: one writer that reads the head first. After each design's run
every chain is verified.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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


def _write(writers: int, records: int, keep_head: bool) -> tuple[float, int]:
    """``writers`` threads try ``records`` access records between them: the seconds taken,
    and how many gave up (AccessRecordNotWritten: the caller's request would fail). Each
    thread is one container; without ``keep_head`` it forgets its last record every time."""
    from partnercenter.audit.access_records import AccessRecordNotWritten, record_access
    from partnercenter.dal.access_records import forget_last_written

    def one(i: int) -> bool:
        if not keep_head:
            forget_last_written()
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


@dataclass(frozen=True)
class Design:
    label: str
    chains: int
    keep_head: bool = True


def _design(design: Design, records: int, trips: RoundTrips) -> dict[int, tuple[float, int, int]]:
    """Per writer count: records/s, puts lost to a race, requests failed."""
    from partnercenter.audit import access_records

    access_records.CHAINS = design.chains
    measured: dict[int, tuple[float, int, int]] = {}
    for writers in LEVELS:
        trips.puts = 0
        seconds, failed = _write(writers, records, design.keep_head)
        written = records - failed
        measured[writers] = (written / seconds, trips.puts - written, failed)
    report = access_records.verify_chain()
    assert report.intact, report.breaks  # a benchmark of broken chains would be worthless
    return measured


def _print(
    design: Design, measured: dict[int, tuple[float, int, int]], base: float, n: int
) -> None:
    print(f"{design.label} ({design.chains} chain{'s' if design.chains > 1 else ''}):")
    for writers, (rate, lost, failed) in measured.items():
        print(
            f"  {writers:>2} writers: {rate / base:5.2f}x the baseline's records/s"
            f"   ({lost:>4} puts lost to a race, {failed:>3} of {n} requests failed)"
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
        print(f"a {args.latency_ms:g} ms round trip per DynamoDB call; ratios within this run,")
        print("against the baseline: 1 writer reading the head before each append, many chains")
        designs = [
            Design("head read before each append (before issue 17)", chains, keep_head=False),
            Design("kept head: a warm container appends after its last record", chains),
            Design("one chain, head read first (before the chains)", 1, keep_head=False),
        ]
        results = [_design(design, args.records, trips) for design in designs]
        base = results[0][1][0]
        for design, measured in zip(designs, results, strict=True):
            _print(design, measured, base, args.records)
        access_records.CHAINS = chains


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
