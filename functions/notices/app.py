"""Notices to members (R-NOT-1, R-NOT-2, R-SEC-4): operators create them, read their reports and
record a breach's reports to PIPC/KISA; every few minutes, deliveries a request could not finish
are resumed."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import UUID_PATTERN, PartnerCenterResolver
from partnercenter.clock import utc_now
from partnercenter.deadline import Deadline
from partnercenter.notices.breaches import AuthorityReportRequest, record_authority_report
from partnercenter.notices.campaigns import (
    NoticeReport,
    NoticeRequest,
    create_notice,
    notice_report,
    resume_unfinished,
)
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()
API_BUDGET_SECONDS = 20.0  # delivering within the request, under API Gateway's 29 s
MARGIN_SECONDS = 5.0  # left to answer (the report reads the deliveries)

NoticeId = Annotated[str, Path(alias="noticeId", pattern=UUID_PATTERN)]


@app.operator_route("POST", "/admin/notices", status_code=201)
def post_notice(request: Annotated[NoticeRequest, Body()]) -> Response[NoticeReport]:
    operator = app.caller()
    report = create_notice(
        operator,
        request,
        Deadline.of(
            app.lambda_context, margin_seconds=MARGIN_SECONDS, budget_seconds=API_BUDGET_SECONDS
        ).passed,
    )
    return Response(status_code=201, content_type="application/json", body=report)


@app.operator_route("GET", "/admin/notices/<noticeId>")
def get_notice(notice_id: NoticeId) -> NoticeReport:
    return notice_report(notice_id)


@app.operator_route("POST", "/admin/notices/<noticeId>/authority-reports", status_code=201)
def post_authority_report(
    notice_id: NoticeId, request: Annotated[AuthorityReportRequest, Body()]
) -> Response[NoticeReport]:
    record_authority_report(app.caller(), notice_id, request)
    return Response(status_code=201, content_type="application/json", body=notice_report(notice_id))


def _scheduled(_event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = resume_unfinished(
        utc_now(), Deadline.of(context, margin_seconds=MARGIN_SECONDS).passed
    )
    logger.info("notice delivery resumed", extra=report.model_dump(by_alias=True))
    return report.model_dump(by_alias=True)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve_or_run(event, context, _scheduled)


prime_on_snapshot(app)
