"""Cold start of every function: init time in a fresh interpreter ÷ two floors, same run.

Init = import the handler module (Powertools, the layer) + the first-invoke setup every request
path needs (settings validated, one DynamoDB client). Tracing is on, as in AWS
(`AWS_LAMBDA_FUNCTION_NAME` set, `POWERTOOLS_TRACE_DISABLED` unset). Two references:

- floor: `import boto3` + one DynamoDB client, which no Python Lambda that talks to DynamoDB
  can avoid;
- libraries: the floor + what the brief mandates every function to be built on, alone: pydantic,
  Powertools event_handler with its OpenAPI validation, Logger, Metrics, and Tracer patching
  botocore for X-Ray. Init ÷ libraries is what this project's own code costs on top.

With SnapStart, init and the before-snapshot hooks (``partnercenter.snapstart.prime``) run once
per published version, before the snapshot: "primed" is init + those hooks, in the same
interpreter, after init was timed.

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
_COLUMNS = ("init ms", "÷ floor", "÷ libs", "primed ms", "p÷ floor", "p÷ libs")

_FLOOR = """
import time
t0 = time.process_time()
import boto3
boto3.client("dynamodb")
print(time.process_time() - t0)
"""

# The floor's own work first, then each mandated library as a function imports it.
_LIBRARIES = """
import time
t0 = time.process_time()
import boto3
boto3.client("dynamodb")
import pydantic
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
Logger()
Tracer(patch_modules=("botocore",))
Metrics()
APIGatewayRestResolver(enable_validation=True)
print(time.process_time() - t0)
"""

# Prints init, then init + the before-snapshot hooks (as the runtime runs them before a
# snapshot), both counted from the interpreter's start of work.
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
import snapshot_restore_py
for hook, args, kwargs in snapshot_restore_py.get_before_snapshot():
    hook(*args, **kwargs)
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


def _seconds(code: str, env: dict[str, str]) -> list[float]:
    """One fresh interpreter's own measurements of ``code``, one a line."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # Lines that are not a number are the code's own output (a warning printed, say).
    seconds = []
    for line in out.stdout.strip().splitlines():
        try:
            seconds.append(float(line))
        except ValueError:
            continue
    return seconds


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
    # Each round measures both references right before every function, and the ratios are taken
    # per triple: on a shared machine the load drifts, and references measured once would skew
    # the ratios.
    floors: list[float] = []
    libraries: list[float] = []
    rows: dict[str, dict[str, list[float]]] = {
        name: {column: [] for column in _COLUMNS} for name in subjects
    }
    failed: dict[str, str] = {}
    for _ in range(args.runs):
        for name, (code, env) in subjects.items():
            if name in failed:
                continue
            floor = _seconds(_FLOOR, base_env)[-1]
            library = _seconds(_LIBRARIES, base_env)[-1]
            try:
                init, primed = _seconds(code, env)[-2:]
            except subprocess.CalledProcessError as failure:
                failed[name] = ((failure.stderr or "").strip().splitlines() or ["?"])[-1]
                continue
            floors.append(floor)
            libraries.append(library)
            row = rows[name]
            row["init ms"].append(init * 1000)
            row["÷ floor"].append(init / floor)
            row["÷ libs"].append(init / library)
            row["primed ms"].append(primed * 1000)
            row["p÷ floor"].append(primed / floor)
            row["p÷ libs"].append(primed / library)
    print(f"\ncold start (median of {args.runs} fresh interpreters each, tracing on)")
    if floors:
        floor_ms = statistics.median(floors) * 1000
        library_ms = statistics.median(libraries) * 1000
        print(f"  floor: import boto3 + one DynamoDB client = {floor_ms:.0f} ms")
        print(
            "  libs: floor + pydantic + Powertools event_handler (OpenAPI validation), Logger,"
            f" Metrics, Tracer (X-Ray patching botocore) = {library_ms:.0f} ms"
            f" = {statistics.median(a / b for a, b in zip(libraries, floors, strict=True)):.2f}"
            " × floor"
        )
    print("  init = import + settings + DynamoDB client; primed = init + SnapStart's priming")
    print(f"  {'function':32} " + " ".join(f"{column:>9}" for column in _COLUMNS))
    for name in subjects:
        if name in failed:
            print(f"  {name:32} did not initialise: {failed[name]}")
            continue
        cells = []
        for column in _COLUMNS:
            value = statistics.median(rows[name][column])
            cells.append(f"{value:9.0f}" if column.endswith("ms") else f"{value:9.2f}")
        print(f"  {name:32} " + " ".join(cells))


if __name__ == "__main__":
    main()
