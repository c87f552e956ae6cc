"""The access review (R-SEC-2) on demand for operators; the monthly one runs in the anchoring
job (functions/access_anchor), the only role that writes anchors."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import FromQuery, PartnerCenterResolver, ToQuery
from partnercenter.audit.review import AccessReview, review_range
from partnercenter.clock import iso, query_range, utc_now
from partnercenter.deadline import Deadline
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()
API_BUDGET_SECONDS = 25.0  # under API Gateway's 29 s integration timeout
MARGIN_SECONDS = 10.0  # left to store the review and publish metrics


@app.operator_route("GET", "/admin/access-review")
def get_access_review(
    start: FromQuery,
    end: ToQuery,
) -> AccessReview:
    start_at, end_at = query_range(start, end)  # bounded before the chain is read
    deadline = Deadline.of(
        app.lambda_context, margin_seconds=MARGIN_SECONDS, budget_seconds=API_BUDGET_SECONDS
    )
    return review_range(iso(start_at), iso(end_at), utc_now(), deadline.passed)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
