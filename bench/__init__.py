"""Benchmarks: `make bench` prints ratios measured in one run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGION = "ap-northeast-2"


def aws_environment(endpoint: str | None = None, *, log_level: str = "INFO") -> None:
    """moto's fake credentials and the layer on sys.path, as the tests have them."""
    layer = str(ROOT / "layers" / "core")
    if layer not in sys.path:
        sys.path.insert(0, layer)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # nosec B105 - moto accepts any credentials
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "PartnerCenter",
            "POWERTOOLS_LOG_LEVEL": log_level,
        }
    )
    # Only the endpoint asked for: none (moto in process) or one moto server for every service.
    for name in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
