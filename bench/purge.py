"""The retention purge vs a naive scan-and-delete loop: k due among N retained subjects.

Both run against the moto server (over HTTP, like the local stack) on the same data, seeded
with BatchWriteItem: first the purge, then - after a reset and the same seed - the naive loop
on a fresh copy. Each of the N subjects has its retained record (k due, the rest due later or
held open); each due subject also has its data key and its fraud-prevention hold row, which
both ways destroy. The not-due subjects' keys and holds are not seeded: neither way reads or
touches them, and seeding them would only double the time (see ``--help``).

Counted with botocore ``after-call`` hooks (moto reports no real capacity, so items and calls
are counted instead): items read = ``ScannedCount`` of every Query/Scan + items returned by
GetItem/BatchGetItem; write calls = every TransactWriteItems/BatchWriteItem/PutItem/
DeleteItem/UpdateItem. The naive loop destroys the same items per subject as the purge
(record, key, hold rows, a destruction record) one call each, after a Scan of the whole table.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import random
import socket
import sys
import time
import urllib.request
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import REGION, aws_environment

FUNCTION = "RetentionPurgeFunction"
AS_OF = datetime(2027, 6, 1, 18, 0, tzinfo=UTC)
WRITE_OPERATIONS = {"TransactWriteItems", "BatchWriteItem", "PutItem", "DeleteItem", "UpdateItem"}
TARGETS = {"reads": 1.1, "per_write": 20.0, "speedup": 10.0}


@dataclass
class Counter:
    items_read: int = 0
    write_calls: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    _started: float = 0.0

    def register(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb", self.before)
        client.meta.events.register("after-call.dynamodb", self.after)

    def before(self, **_: Any) -> None:
        self._started = time.monotonic()

    def after(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.calls[operation] = self.calls.get(operation, 0) + 1
        spent = time.monotonic() - self._started
        self.seconds[operation] = self.seconds.get(operation, 0.0) + spent
        if operation in ("Query", "Scan"):
            self.items_read += int(parsed.get("ScannedCount", 0))
        elif operation == "GetItem":
            self.items_read += int("Item" in parsed)
        elif operation == "BatchGetItem":
            self.items_read += sum(len(v) for v in parsed.get("Responses", {}).values())
        if operation in WRITE_OPERATIONS:
            self.write_calls += 1


@dataclass
class Result:
    label: str
    purged: int
    seconds: float
    counter: Counter

    @property
    def reads_per_purged(self) -> float:
        return self.counter.items_read / max(1, self.purged)

    @property
    def purged_per_write(self) -> float:
        return self.purged / max(1, self.counter.write_calls)

    @property
    def throughput(self) -> float:
        return self.purged / self.seconds


def _cheap_moto_rollback() -> None:
    """Give moto's TransactWriteItems an undo log instead of a copy of every table it touches.

    moto 5.2.5 deep-copies the whole table once per transaction entry so that it can roll back
    (O(table size) per item: 100 entries on a 100,000-item table copy 2.5 million items, and a
    call outlasts the SDK's read timeout). DynamoDB's cost does not grow with the table. Here
    the snapshot is of the items the entries name, restored if the transaction is cancelled:
    the same outcome, at a cost that does not depend on N. Only the purge uses transactions;
    the naive loop is measured on an unpatched code path either way.
    """
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    real_deepcopy = copy.deepcopy

    class _Copy:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else real_deepcopy(value, memo)

    models.copy = _Copy  # type: ignore[assignment,attr-defined]
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        undo = []
        for entry in transact_items:
            ((_, op),) = entry.items()
            table = self.get_table(op["TableName"])
            if "Key" in op:
                key = op["Key"]
            else:
                names = [table.hash_key_attr, table.range_key_attr]
                key = {name: op["Item"][name] for name in names if name}
            old = self.get_item(op["TableName"], key)
            undo.append(
                (op["TableName"], key, real_deepcopy(old.to_json()["Attributes"]) if old else None)
            )
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attrs in reversed(undo):
                if attrs is None:
                    self.get_table(table_name).delete_item(
                        *self.get_keys_value(self.get_table(table_name), key)
                    )
                else:
                    self.put_item(table_name, attrs, overwrite=True)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(endpoint: str) -> None:
    aws_environment(endpoint, log_level="WARNING")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="No application metrics")


def _provision(endpoint: str) -> None:
    """Reset the moto server and create the template's resources in it afresh."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=60).close()
    from local.provision import provision
    from local.template import load_template
    from partnercenter.config import get_settings
    from partnercenter.dal import aws

    provisioned = provision(load_template(), endpoint_url=endpoint, region=REGION)
    for key, value in provisioned.function_environment(FUNCTION).items():
        if not key.startswith("AWS_") and key != "POWERTOOLS_SERVICE_NAME":
            os.environ[key] = value
    get_settings.cache_clear()
    aws.reset()


def _items(n: int, k: int, hold_ids: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table env var, item) for N subjects, k of them due at AS_OF; the same every run."""
    rng = random.Random(20261124)
    due = set(rng.sample(range(n), k))

    def blob(size: int) -> str:
        return base64.b64encode(rng.randbytes(size)).decode()

    for i in range(n):
        subject = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        hold_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if i in due:
            due_at: datetime | None = AS_OF - timedelta(days=rng.randint(0, 365))
        elif rng.random() < 0.9:
            due_at = AS_OF + timedelta(days=rng.randint(1, 365))
        else:
            due_at = None  # a settlement or complaint hold is open
        record: dict[str, Any] = {
            "subject": {"S": subject},
            "withdrawnAt": {"S": "2026-06-01T00:00:00Z"},
            "items": {"L": [{"S": "name"}, {"S": "phone"}]},
            "nameEnc": {"S": blob(40)},
            "phoneEnc": {"S": blob(40)},
            "phoneHash": {"S": blob(32)},
            "holdVersion": {"N": "1"},
        }
        if hold_ids:
            record["holdIds"] = {"SS": [hold_id]}
        if due_at is not None:
            record["dueAt"] = {"S": due_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
            record["dueShard"] = {"S": f"DUE#{rng.randrange(4)}"}
        yield "RETAINED_TABLE", record
        if i in due:
            yield (
                "DATA_KEYS_TABLE",
                {
                    "subject": {"S": f"retained:{subject}"},
                    "purpose": {"S": "retained-data"},
                    "wrappedKey": {"B": rng.randbytes(184)},
                },
            )
            yield (
                "HOLDS_TABLE",
                {
                    "subject": {"S": subject},
                    "holdId": {"S": hold_id},
                    "kind": {"S": "fraud_prevention"},
                    "reason": {"S": "Fraud prevention: one year after withdrawal."},
                    "items": {"L": [{"S": "name"}, {"S": "phone"}]},
                    "startAt": {"S": "2026-06-01T00:00:00Z"},
                    "until": {"S": record["dueAt"]["S"]},
                },
            )


def _seed(n: int, k: int, hold_ids: bool) -> float:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    started = time.monotonic()
    batch: dict[str, list[dict[str, Any]]] = {}
    size = 0

    def flush() -> None:
        pending: dict[str, Any] = dict(batch)
        for _ in range(100):  # unprocessed items are retried, boundedly
            if not pending:
                break
            pending = dict(
                dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            )
        batch.clear()

    for table_env, item in _items(n, k, hold_ids):
        batch.setdefault(os.environ[table_env], []).append({"PutRequest": {"Item": item}})
        size += 1
        if size == 25:
            flush()
            size = 0
    if size:
        flush()
    return time.monotonic() - started


def _run_purge() -> Result:
    from partnercenter.dal import aws
    from partnercenter.dal.aws import client
    from partnercenter.deadline import Deadline
    from partnercenter.retention.purge import run_purge

    # moto's Query sorts the whole table (about 6 s at N = 100,000), past the 5 s read timeout
    # the functions use against DynamoDB, whose Query cost follows the items it returns.
    aws._CLIENT_CONFIG["read_timeout"] = 300
    aws.reset()
    counter = Counter()
    counter.register(client("dynamodb"))
    started = time.monotonic()
    report = run_purge(AS_OF, dry_run=False, run_id="bench-purge", deadline=Deadline(lambda: 10**9))
    seconds = time.monotonic() - started
    assert report.remaining == 0, report
    # Every due subject's key and hold are gone, each with exactly one destruction record.
    assert _count("DATA_KEYS_TABLE") == _count("HOLDS_TABLE") == 0
    assert _count("DESTRUCTION_RECORDS_TABLE") == report.purged
    return Result("purge (byDue index + transactions)", report.purged, seconds, counter)


def _count(table_env: str) -> int:
    """Items in one of the small tables (never the retained table: a scan of it is slow)."""
    import boto3

    paginator = boto3.client("dynamodb", region_name=REGION).get_paginator("scan")
    pages = paginator.paginate(TableName=os.environ[table_env], Select="COUNT")
    return sum(int(page["Count"]) for page in pages)


def _run_naive() -> Result:
    """Scan everything, keep what is due, destroy it one DeleteItem/PutItem at a time."""
    import boto3

    from partnercenter.dal.data_keys import retained_subject
    from partnercenter.destruction import destruction_record

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    counter = Counter()
    counter.register(dynamodb)
    retained, keys, holds = (
        os.environ["RETAINED_TABLE"],
        os.environ["DATA_KEYS_TABLE"],
        os.environ["HOLDS_TABLE"],
    )
    as_of = AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.monotonic()
    purged = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=retained):
        for item in page.get("Items", []):
            if "dueAt" not in item or item["dueAt"]["S"] > as_of:
                continue
            subject = item["subject"]["S"]
            dynamodb.delete_item(TableName=retained, Key={"subject": {"S": subject}})
            dynamodb.delete_item(TableName=keys, Key={"subject": {"S": retained_subject(subject)}})
            hold_ids = item["holdIds"]["SS"] if "holdIds" in item else _hold_ids(dynamodb, subject)
            for hold_id in hold_ids:
                key = {"subject": {"S": subject}, "holdId": {"S": hold_id}}
                dynamodb.delete_item(TableName=holds, Key=key)
            record = destruction_record(
                member_id=subject,
                kind="retained_data",
                items=["name", "phone"],
                reason="retention ended",
                run_id="bench-naive",
                at=AS_OF,
            )
            dynamodb.put_item(**record.item["Put"])
            purged += 1
    return Result("naive (Scan + one call per item)", purged, time.monotonic() - started, counter)


def _hold_ids(dynamodb: Any, subject: str) -> list[str]:
    answer = dynamodb.query(
        TableName=os.environ["HOLDS_TABLE"],
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": subject}},
    )
    return [i["holdId"]["S"] for i in answer["Items"]]


def _check(value: float, target: float, higher_is_better: bool = True) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "ok" if ok else "MISSED"


def _print(n: int, k: int, seed_seconds: float, ours: Result, naive: Result) -> None:
    print(f"k = {k:,} due among N = {n:,} retained subjects, moto server over HTTP")
    print(f"seeding (BatchWriteItem, each copy): {seed_seconds:.1f} s")
    print(f"{'':38} {'purged':>7} {'items read':>10} {'writes':>7} {'seconds':>8} {'purged/s':>9}")
    for r in (ours, naive):
        print(
            f"{r.label:38} {r.purged:>7,} {r.counter.items_read:>10,} "
            f"{r.counter.write_calls:>7,} {r.seconds:>8.2f} {r.throughput:>9.1f}"
        )
    for r in (ours, naive):
        spent = ", ".join(
            f"{op} {r.counter.calls[op]:,} calls {r.counter.seconds[op]:.1f} s"
            for op in sorted(r.counter.calls)
        )
        print(f"  {r.label.split(' ')[0]:6} {spent}")
    speedup = ours.throughput / naive.throughput
    rows = [
        ("items read per purged item", ours.reads_per_purged, TARGETS["reads"], False, "<="),
        ("purged items per write call", ours.purged_per_write, TARGETS["per_write"], True, ">="),
        ("throughput / naive loop's", speedup, TARGETS["speedup"], True, ">="),
    ]
    print(f"\n{'ratio':32} {'purge':>9} {'naive':>9} {'target':>9}  result")
    naive_values = [naive.reads_per_purged, naive.purged_per_write, 1.0]
    for (label, value, target, higher, sign), naive_value in zip(rows, naive_values, strict=True):
        verdict = _check(value, target, higher)
        print(f"{label:32} {value:>9.2f} {naive_value:>9.2f} {sign:>4}{target:>5.1f}  {verdict}")
    query_seconds = ours.counter.seconds.get("Query", 0.0)
    print(
        f"\nNote: moto answers a Query by sorting the whole table, so the purge's "
        f"{ours.counter.calls.get('Query', 0)} index Query calls took {query_seconds:.1f} s "
        f"of its {ours.seconds:.1f} s, about what a Scan page costs here; in DynamoDB a Query's "
        "cost follows the items it returns. The ratio above is moto's, as measured."
    )


def main(argv: list[str]) -> None:
    small = os.environ.get("BENCH_SMALL") == "1"
    parser = argparse.ArgumentParser(prog="python -m bench.purge", description=__doc__)
    parser.add_argument("--n", type=int, default=5_000 if small else 100_000)
    parser.add_argument("--k", type=int, default=200 if small else 1_000)
    parser.add_argument(
        "--without-hold-ids",
        action="store_true",
        help="records that do not name their holds (the purge then queries each subject's)",
    )
    parser.add_argument(
        "--moto-as-is",
        action="store_true",
        help="keep moto's whole-table copy per transaction entry (slow past a few thousand N)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.k <= args.n:
        parser.error("need 0 < k <= n")

    from moto.server import ThreadedMotoServer

    if not args.moto_as_is:
        _cheap_moto_rollback()
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        _environment(endpoint)
        _provision(endpoint)
        seed_seconds = _seed(args.n, args.k, not args.without_hold_ids)
        ours = _run_purge()
        _provision(endpoint)  # a fresh copy of the same data for the naive loop
        _seed(args.n, args.k, not args.without_hold_ids)
        naive = _run_naive()
    finally:
        server.stop()
    assert ours.purged == naive.purged == args.k, (ours.purged, naive.purged)
    _print(args.n, args.k, seed_seconds, ours, naive)


if __name__ == "__main__":
    main(sys.argv[1:])
