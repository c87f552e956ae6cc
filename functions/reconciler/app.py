"""Every 15 minutes: Cognito brought in line with MembersTable's intents (scheduled only)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.clock import utc_now
from partnercenter.deadline import Deadline
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.reconciler import reconcile
from partnercenter.snapstart import prime_on_snapshot

MARGIN_SECONDS = 10


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    del event  # a scheduled tick: the run is as of now
    report = reconcile(utc_now(), Deadline.of(context, margin_seconds=MARGIN_SECONDS).passed)
    return report.model_dump(by_alias=True)


prime_on_snapshot()
