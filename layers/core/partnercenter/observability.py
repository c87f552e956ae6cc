"""Logger, Tracer and Metrics for every function, configured by POWERTOOLS_* in the template.

Personal data never reaches a log line, metric or trace (R-SEC-3): the logger is never handed
request bodies or decrypted values, events are not logged (POWERTOOLS_LOGGER_LOG_EVENT=false),
and tracer responses/errors are not captured (POWERTOOLS_TRACER_CAPTURE_*=false).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

# What the functions call out through: AWS (botocore) and the identity vendor (urllib, i.e.
# http.client). Patching only these keeps cold start lean: the default patches every library
# X-Ray knows and so imports each one installed (requests, sqlite3, ...), used or not.
TRACED_MODULES = ("botocore", "httplib")

logger = Logger()
# Every log line of a request carries its correlation_id: API Gateway's request id (the error
# body's ``requestId``, so a client's report finds its lines), or a scheduled event's id.
CORRELATION_ID_PATH = f"{correlation_paths.API_GATEWAY_REST} || {correlation_paths.EVENT_BRIDGE}"
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics()

# Emitted (Count) whenever an identity verification answers 503 VENDOR_UNAVAILABLE: the
# vendor's configuration is missing or unusable, its cipher module fails, or it errs or times out.
# VendorUnavailableAlarm in template.yaml watches this name.
METRIC_VENDOR_UNAVAILABLE = "VendorUnavailable"
