"""Cold start of every function: init time in a fresh interpreter ÷ the floor, same run.

Init = import the handler module (Powertools, the layer) + the first-invoke setup every request
path needs (settings validated, one DynamoDB client). Floor = `import boto3` + one DynamoDB
client, which no Python Lambda that talks to DynamoDB can avoid. Tracing is on, as in AWS
(`AWS_LAMBDA_FUNCTION_NAME` set, `POWERTOOLS_TRACE_DISABLED` unset).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from local.template import load_template

ROOT = Path(__file__).resolve().parent.parent

_FLOOR = """
import time
t0 = time.perf_counter()
import boto3
boto3.client("dynamodb")
print(time.perf_counter() - t0)
"""

_INIT = """
import sys, time
t0 = time.perf_counter()
sys.path[:0] = [{layer!r}, {code!r}]
import {module}
from partnercenter.config import get_settings
from partnercenter.dal.aws import client
get_settings()
client("dynamodb")
print(time.perf_counter() - t0)
"""


def _fake_environment(environment: dict[str, object]) -> dict[str, str]:
    """Resource names don't matter for init; every variable only needs to be present."""
    env = {
        key: value if isinstance(value, str) else f"bench-{key.lower()}"
        for key, value in environment.items()
    }
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_REGION": "ap-northeast-2",
            "AWS_DEFAULT_REGION": "ap-northeast-2",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "PATH": os.environ.get("PATH", ""),
        }
    )
    return env


def _seconds(code: str, env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    args = parser.parse_args(argv)
    model = load_template()
    base_env = _fake_environment({})
    floor = _seconds(_FLOOR, base_env, args.runs)
    print(f"\ncold start (median of {args.runs} fresh interpreters, tracing on)")
    print(f"  floor: import boto3 + one DynamoDB client = {floor * 1000:.0f} ms")
    print(f"  {'function':32} {'init ms':>8} {'÷ floor':>8}")
    for function in model.functions.values():
        code = _INIT.format(
            layer=str(function.layer_dirs[0]) if function.layer_dirs else "layers/core",
            code=str(function.code_dir),
            module=function.handler_module,
        )
        env = _fake_environment(dict(function.environment))
        try:
            init = _seconds(code, env, args.runs)
        except subprocess.CalledProcessError as failure:
            reason = (failure.stderr or "").strip().splitlines()[-1:]
            print(f"  {function.logical_id:32} did not initialise: {reason}")
            continue
        print(f"  {function.logical_id:32} {init * 1000:8.0f} {init / floor:8.2f}")


if __name__ == "__main__":
    main()
