"""The access review (R-SEC-2): on demand for operators, and monthly on a schedule."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import FromQuery, PartnerCenterResolver, ToQuery
from partnercenter.audit.review import AccessReview, monthly_review, review_range
from partnercenter.clock import iso, parse_iso, query_range, utc_now
from partnercenter.deadline import Deadline
from partnercenter.observability import logger, metrics, tracer

app = PartnerCenterResolver()
API_BUDGET_SECONDS = 25.0  # under API Gateway's 29 s integration timeout
MARGIN_SECONDS = 10.0  # left to store the review and publish metrics


@app.get("/admin/access-review")
def get_access_review(
    start: FromQuery,
    end: ToQuery,
) -> AccessReview:
    app.operator()
    start_at, end_at = query_range(start, end)  # bounded before the chain is read
    deadline = Deadline.of(
        app.lambda_context, margin_seconds=MARGIN_SECONDS, budget_seconds=API_BUDGET_SECONDS
    )
    return review_range(iso(start_at), iso(end_at), utc_now(), deadline.passed)


def _scheduled(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The monthly run: the month before the scheduled time (the event's ``time``)."""
    now = utc_now()
    moment = parse_iso(str(event["time"])) if event.get("time") else now
    review = monthly_review(moment, now, Deadline.of(context, margin_seconds=MARGIN_SECONDS).passed)
    # Counts only: the alarmable facts, never whose data was accessed.
    metrics.add_metric("AccessReviewFlaggedActors", MetricUnit.Count, review.flagged_actors)
    metrics.add_metric("AccessChainBroken", MetricUnit.Count, 0 if review.chain_intact else 1)
    logger.info(
        "access review done",
        extra={
            "periodFrom": review.period_from,
            "chainIntact": review.chain_intact,
            "flaggedActors": review.flagged_actors,
            "recordsVerified": review.records_verified,
        },
    )
    return review.model_dump(by_alias=True)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve_or_run(event, context, _scheduled)
