"""Cold start of every function: init time in a fresh interpreter ÷ the floor, same run.

Init = import the handler module (Powertools, the layer) + the first-invoke setup every request
path needs (settings validated, one DynamoDB client). Floor = `import boto3` + one DynamoDB
client, which no Python Lambda that talks to DynamoDB can avoid. Tracing is on, as in AWS
(`AWS_LAMBDA_FUNCTION_NAME` set, `POWERTOOLS_TRACE_DISABLED` unset).

Times are the interpreter's CPU time (``time.process_time``), not wall time: on a shared
machine wall time mostly measures the neighbours, while init is CPU-bound work (imports,
model building) whose CPU time is what an idle Lambda container spends as wall time.
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
t0 = time.process_time()
import boto3
boto3.client("dynamodb")
print(time.process_time() - t0)
"""

_INIT = """
import sys, time
t0 = time.process_time()
sys.path[:0] = [{layer!r}, {code!r}]
import {module}
from partnercenter.config import get_settings
from partnercenter.dal.aws import client
get_settings()
client("dynamodb")
print(time.process_time() - t0)
"""


def _fake_environment(
    environment: dict[str, object],
    code_dir: Path = ROOT,
    parameters: dict[str, str] | None = None,
    runtime: str = "python3.13",
) -> dict[str, str]:
    """Resource names don't matter for init; every variable only needs to be present, and a
    template parameter's value (a number the settings validate) is its default.

    The variables every Lambda container has are set as Lambda sets them: the X-Ray SDK, for
    one, only knows it runs in Lambda from LAMBDA_TASK_ROOT, and without it builds a
    centralized sampler with two X-Ray clients (~250 ms) that no Lambda container ever builds.
    """
    defaults = parameters or {}
    env = {key: _fake_value(key, value, defaults) for key, value in environment.items()}
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(code_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_REGION": "ap-northeast-2",
            "AWS_DEFAULT_REGION": "ap-northeast-2",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "PATH": os.environ.get("PATH", ""),
        }
    )
    return env


def _fake_value(key: str, value: object, parameters: dict[str, str]) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and str(value.get("Ref")) in parameters:
        return parameters[str(value["Ref"])]
    return f"bench-{key.lower()}"


def _seconds(code: str, env: dict[str, str]) -> float:
    """One fresh interpreter's own measurement of ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    args = parser.parse_args(argv)
    model = load_template()
    base_env = _fake_environment({})
    subjects = {
        function.logical_id: (
            _INIT.format(
                layer=str(function.layer_dirs[0]) if function.layer_dirs else "layers/core",
                code=str(function.code_dir),
                module=function.handler_module,
            ),
            _fake_environment(
                dict(function.environment),
                function.code_dir,
                model.parameter_defaults(),
                function.runtime,
            ),
        )
        for function in model.functions.values()
    }
    # Each round measures the floor right before every function, and the ratio is taken per
    # pair: on a shared machine the load drifts, and a floor measured once would skew ratios.
    floors: list[float] = []
    inits: dict[str, list[float]] = {name: [] for name in subjects}
    ratios: dict[str, list[float]] = {name: [] for name in subjects}
    failed: dict[str, str] = {}
    for _ in range(args.runs):
        for name, (code, env) in subjects.items():
            if name in failed:
                continue
            floor = _seconds(_FLOOR, base_env)
            try:
                init = _seconds(code, env)
            except subprocess.CalledProcessError as failure:
                failed[name] = ((failure.stderr or "").strip().splitlines() or ["?"])[-1]
                continue
            floors.append(floor)
            inits[name].append(init)
            ratios[name].append(init / floor)
    print(f"\ncold start (median of {args.runs} fresh interpreters each, tracing on)")
    if floors:
        floor_ms = statistics.median(floors) * 1000
        print(f"  floor: import boto3 + one DynamoDB client = {floor_ms:.0f} ms")
    print(f"  {'function':32} {'init ms':>8} {'÷ floor':>8}")
    for name in subjects:
        if name in failed:
            print(f"  {name:32} did not initialise: {failed[name]}")
            continue
        init_ms = statistics.median(inits[name]) * 1000
        print(f"  {name:32} {init_ms:8.0f} {statistics.median(ratios[name]):8.2f}")


if __name__ == "__main__":
    main()
