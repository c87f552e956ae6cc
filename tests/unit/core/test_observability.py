"""The tracer, as it starts in a Lambda container with tracing on (a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_PROBE = """
import json, sys
import partnercenter.observability as observability
from aws_xray_sdk.core import patcher, xray_recorder
print(json.dumps({
    "patched": sorted(patcher._PATCHED_MODULES),
    "imported": sorted(m for m in ("requests", "sqlite3") if m in sys.modules),
    "sampler": type(xray_recorder.sampler).__name__,
    "disabled": observability.tracer.disabled,
}))
"""


# Cold start (issue 8): X-Ray patches only what the functions call out through (AWS, and the
# identity vendor over http.client); the default would import every library X-Ray knows.
def test_tracer_patches_only_what_the_functions_call() -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "layers" / "core"),
        "AWS_LAMBDA_FUNCTION_NAME": "probe",
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "profile"),
        "AWS_REGION": "ap-northeast-2",
        "POWERTOOLS_SERVICE_NAME": "probe",
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state == {
        "patched": ["botocore", "httplib"],
        "imported": [],
        "sampler": "LocalSampler",  # Lambda's: no centralized sampler, no X-Ray client at init
        "disabled": False,
    }
