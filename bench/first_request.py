"""The first request of a new environment ÷ a warm request, without and with SnapStart priming.

Each measurement is a fresh interpreter with moto in process, built from the template. What the
set-up itself warmed (settings, clients, boto3's loaded service models) is forgotten before the
handler module is imported, so its first request starts as a new container's would. Primed: the
function's before-snapshot hooks then its after-restore hooks run first, as SnapStart runs them
(``partnercenter.snapstart``). Times are CPU time, as in bench.cold_start.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

from bench import REGION, ROOT, aws_environment

# function directory -> the route measured, as an event factory given a member id.
ROUTES = {"policy": "GET /privacy-policy", "profile": "GET /members/me"}
_PASSWORD = "Op9!bench-only"  # moto only  # nosec B105


def _event(function_dir: str, member_id: str | None) -> dict[str, Any]:
    from tests.support import api_event, claims_for

    if function_dir == "profile":
        assert member_id
        return api_event("get-profile", claims=claims_for(member_id))
    return api_event("get-privacy-policy")


def _child(function_dir: str, primed: bool, warm_requests: int) -> dict[str, float]:
    aws_environment(log_level="WARNING")
    warnings.filterwarnings("ignore", message="No application metrics")
    import boto3
    import snapshot_restore_py
    from moto import mock_aws

    from local.provision import provision
    from local.template import load_template

    with mock_aws():
        model = load_template()
        provisioned = provision(model, region=REGION, seed_vendor_secret=True)
        for function_id in model.functions:
            for key, value in provisioned.function_environment(function_id).items():
                if not key.startswith("AWS_") and key != "POWERTOOLS_SERVICE_NAME":
                    os.environ[key] = value
        member_id = None
        if function_dir == "profile":
            from local.operator import create_operator, enrol_totp
            from tests.integration.member_steps import OPERATOR, Person, active_member

            # The operator who approves the member: in privacy-admin, TOTP enrolled (R-SEC-2).
            cognito = boto3.Session(region_name=REGION).client("cognito-idp")
            pool_id = os.environ["OPERATOR_POOL_ID"]
            client_id = provisioned.physical_id("OperatorPoolClient")
            create_operator(cognito, pool_id, OPERATOR["cognito:username"], _PASSWORD)
            enrol_totp(cognito, pool_id, client_id, OPERATOR["cognito:username"], _PASSWORD)
            phone = f"010{uuid.uuid4().int % 10**8:08d}"
            member_id = active_member(Person.new(phone=phone), "bench.first")

        from partnercenter.config import get_settings
        from partnercenter.dal import aws
        from tests.support import call, handler_module

        # A new container: no settings, no clients, no service model loaded by the set-up.
        get_settings.cache_clear()
        aws.reset()
        boto3.DEFAULT_SESSION = None
        before = len(snapshot_restore_py.get_before_snapshot())
        after = len(snapshot_restore_py.get_after_restore())
        handler_module(function_dir)  # init
        if primed:
            for hook, args, kwargs in snapshot_restore_py.get_before_snapshot()[before:]:
                hook(*args, **kwargs)
            for hook, args, kwargs in snapshot_restore_py.get_after_restore()[after:]:
                hook(*args, **kwargs)

        def request() -> float:
            event = _event(function_dir, member_id)
            started = time.process_time()
            result = call(function_dir, event)
            elapsed = time.process_time() - started
            assert result.status == 200, result.body
            return elapsed

        first = request()
        warm = statistics.median(request() for _ in range(warm_requests))
    return {"first": first, "warm": warm}


def _measure(function_dir: str, primed: bool, warm_requests: int) -> dict[str, float]:
    """One fresh interpreter's first and warm request times."""
    args = ["--child", function_dir, "--warm", str(warm_requests)]
    out = subprocess.run(
        [sys.executable, "-m", "bench.first_request", *args, *(["--primed"] if primed else [])],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core"), "."])},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    measured: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return measured


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.first_request", description=__doc__)
    small = bool(os.environ.get("BENCH_SMALL"))
    parser.add_argument("--warm", type=int, default=3 if small else 9, help="warm requests")
    parser.add_argument("--child", choices=sorted(ROUTES), help=argparse.SUPPRESS)
    parser.add_argument("--primed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.primed, max(1, args.warm))))
        return
    ratio: Callable[[dict[str, float]], float] = lambda m: m["first"] / m["warm"]  # noqa: E731
    print(
        f"\nfirst request ÷ warm request (fresh interpreter, moto in process, "
        f"median of {args.warm} warm requests)"
    )
    print(f"  {'route':24} {'not primed':>11} {'primed':>8} {'warm ms':>8}")
    for function_dir, route in ROUTES.items():
        cold = _measure(function_dir, False, args.warm)
        primed = _measure(function_dir, True, args.warm)
        warm_ms = statistics.median([cold["warm"], primed["warm"]]) * 1000
        print(f"  {route:24} {ratio(cold):10.2f}× {ratio(primed):7.2f}× {warm_ms:8.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
