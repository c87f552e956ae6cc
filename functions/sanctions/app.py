"""Sanctions (이용정지, R-COL-5): operators suspend and lift; hourly, timed sanctions that have
ended stop blocking sign-in."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import UUID_PATTERN, MemberIdPath, PartnerCenterResolver
from partnercenter.clock import utc_now
from partnercenter.deadline import Deadline
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.sanctions.operator_view import SanctionList, list_sanctions
from partnercenter.sanctions.service import (
    Sanction,
    SanctionCreated,
    SanctionRequest,
    end_elapsed_sanctions,
    impose_sanction,
    lift_sanction,
)
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()
MARGIN_SECONDS = 10.0

SanctionId = Annotated[str, Path(alias="sanctionId", pattern=UUID_PATTERN)]


@app.operator_route("GET", "/admin/members/<memberId>/sanctions")
def get_sanctions(member_id: MemberIdPath) -> SanctionList:
    return list_sanctions(app.caller(), member_id)


@app.operator_route("POST", "/admin/members/<memberId>/sanctions", status_code=201)
def post_sanction(
    member_id: MemberIdPath, request: Annotated[SanctionRequest, Body()]
) -> Response[SanctionCreated]:
    created = impose_sanction(app.caller(), member_id, request)
    return Response(status_code=201, content_type="application/json", body=created)


@app.operator_route("POST", "/admin/members/<memberId>/sanctions/<sanctionId>/lift")
def post_lift(member_id: MemberIdPath, sanction_id: SanctionId) -> Sanction:
    return lift_sanction(app.caller(), member_id, sanction_id)


def _scheduled(_event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline = Deadline.of(context, margin_seconds=MARGIN_SECONDS)
    report = end_elapsed_sanctions(utc_now(), deadline.passed)
    logger.info("sanction sweep done", extra=report.model_dump(by_alias=True))
    return report.model_dump(by_alias=True)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve_or_run(event, context, _scheduled)


prime_on_snapshot(app)
