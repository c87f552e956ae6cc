"""Operator routes (privacy-admin group)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import FromQuery, MemberIdPath, PartnerCenterResolver, ToQuery
from partnercenter.members.admin import MemberList, MemberStatus, list_members
from partnercenter.members.decision import DecisionRequest, DecisionResult, decide
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.retention.destruction import DestructionRecordList, list_destruction_records
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()


@app.operator_route("GET", "/admin/members")
def get_members(
    status: Annotated[MemberStatus, Query()] = "pending_approval",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=2048)] = None,
) -> MemberList:
    return list_members(app.caller(), status, limit, next_token)


@app.operator_route("POST", "/admin/members/<memberId>/decision")
def post_decision(
    member_id: MemberIdPath,
    request: DecisionRequest,
) -> DecisionResult:
    return decide(app.caller(), member_id, request, app.request_id)


@app.operator_route("GET", "/admin/destruction-records")
def get_destruction_records(
    start: FromQuery,
    end: ToQuery,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=2048)] = None,
) -> DestructionRecordList:
    # Destruction records name pseudonyms only, yet they are for operators.
    return list_destruction_records(app.caller(), start, end, limit, next_token)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
