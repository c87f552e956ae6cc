"""Notices to members (R-NOT-1, R-NOT-2, R-SEC-4): operators create them and read their
reports; every few minutes, deliveries a request could not finish are resumed."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import UUID_PATTERN, PartnerCenterResolver
from partnercenter.clock import utc_now
from partnercenter.deadline import Deadline
from partnercenter.notices.campaigns import (
    NoticeReport,
    NoticeRequest,
    create_notice,
    notice_report,
    resume_unfinished,
)
from partnercenter.observability import logger, metrics, tracer
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()
API_BUDGET_SECONDS = 20.0  # delivering within the request, under API Gateway's 29 s
MARGIN_SECONDS = 5.0  # left to answer (the report reads the deliveries)

NoticeId = Annotated[str, Path(alias="noticeId", pattern=UUID_PATTERN)]


@app.post("/admin/notices", status_code=201)
def post_notice(request: Annotated[NoticeRequest, Body()]) -> Response[NoticeReport]:
    operator = app.operator()
    report = create_notice(
        operator,
        request,
        Deadline.of(
            app.lambda_context, margin_seconds=MARGIN_SECONDS, budget_seconds=API_BUDGET_SECONDS
        ).passed,
    )
    return Response(status_code=201, content_type="application/json", body=report)


@app.get("/admin/notices/<noticeId>")
def get_notice(notice_id: NoticeId) -> NoticeReport:
    app.operator()
    return notice_report(notice_id)


def _scheduled(_event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = resume_unfinished(
        utc_now(), Deadline.of(context, margin_seconds=MARGIN_SECONDS).passed
    )
    logger.info("notice delivery resumed", extra=report.model_dump(by_alias=True))
    return report.model_dump(by_alias=True)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve_or_run(event, context, _scheduled)


prime_on_snapshot(app)
