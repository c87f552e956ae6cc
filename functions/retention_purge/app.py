"""The daily retention purge, run by EventBridge Scheduler (contract: "Scheduled")."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.retention.purge import ScheduledPurgeEvent, scheduled_purge
from partnercenter.snapstart import prime_on_snapshot


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_parser(model=ScheduledPurgeEvent)
def lambda_handler(event: ScheduledPurgeEvent, context: LambdaContext) -> dict[str, Any]:
    report = scheduled_purge(event, context.get_remaining_time_in_millis)
    return report.model_dump(by_alias=True)


prime_on_snapshot()
