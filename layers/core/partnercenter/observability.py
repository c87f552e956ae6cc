"""Logger, Tracer and Metrics for every function, configured by POWERTOOLS_* in the template.

Personal data never reaches a log line, metric or trace (R-SEC-3): the logger is never handed
request bodies or decrypted values, events are not logged (POWERTOOLS_LOGGER_LOG_EVENT=false),
and tracer responses/errors are not captured (POWERTOOLS_TRACER_CAPTURE_*=false).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
