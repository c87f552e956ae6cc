"""Logger, Tracer and Metrics for every function, configured by POWERTOOLS_* in the template.

Personal data never reaches a log line, metric or trace (R-SEC-3): the logger is never handed
request bodies or decrypted values, events are not logged (POWERTOOLS_LOGGER_LOG_EVENT=false),
and tracer responses/errors are not captured (POWERTOOLS_TRACER_CAPTURE_*=false).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import resolve_cold_start_function_name
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

# What the functions call out through: AWS (botocore) and the identity vendor (urllib, i.e.
# http.client). Patching only these keeps cold start lean: the default patches every library
# X-Ray knows and so imports each one installed (requests, sqlite3, ...), used or not.
TRACED_MODULES = ("botocore", "httplib")

# Lambda's own name for how this environment started: "on-demand", "provisioned-concurrency",
# or "snap-start" (restored from a SnapStart snapshot).
INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"


class _ColdStartByInitialization(AmazonCloudWatchEMFProvider):
    """Powertools' ColdStart metric, with the dimension ``initialization_type``.

    Under SnapStart, Powertools counts the first request of a restored environment as a cold
    start like any other; the dimension tells a restore (``snap-start``) from a full init.
    """

    def add_cold_start_metric(self, context: Any) -> None:
        function_name = resolve_cold_start_function_name(
            function_name=self.function_name, context=context
        )
        with single_metric(
            name="ColdStart", unit=MetricUnit.Count, value=1, namespace=self.namespace
        ) as metric:
            metric.add_dimension(name="function_name", value=function_name)
            metric.add_dimension(
                name="initialization_type", value=os.environ.get(INITIALIZATION_TYPE, "on-demand")
            )
            if self.service:
                metric.add_dimension(name="service", value=str(self.service))


logger = Logger()
# Every log line of a request carries its correlation_id: API Gateway's request id (the error
# body's ``requestId``, so a client's report finds its lines), or a scheduled event's id.
CORRELATION_ID_PATH = f"{correlation_paths.API_GATEWAY_REST} || {correlation_paths.EVENT_BRIDGE}"
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics(provider=_ColdStartByInitialization())

# Emitted (Count) whenever an identity verification answers 503 VENDOR_UNAVAILABLE: the
# vendor's configuration is missing or unusable, its cipher module fails, or it errs or times out.
# VendorUnavailableAlarm in template.yaml watches this name.
METRIC_VENDOR_UNAVAILABLE = "VendorUnavailable"
