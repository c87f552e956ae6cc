"""Operator retention holds on active and withdrawn members (R-RET-2..4)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import UUID_PATTERN, MemberIdPath, PartnerCenterResolver
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.retention.hold_list import HoldList, list_holds
from partnercenter.retention.holds import (
    AddHoldRequest,
    HoldCreated,
    HoldView,
    add_hold,
    release_hold,
)
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()

# Hold ids are UUIDs: the version row ("#version") and anything else cannot be addressed.
HoldId = Annotated[str, Path(alias="holdId", pattern=UUID_PATTERN)]


@app.operator_route("GET", "/admin/members/<memberId>/holds")
def get_holds(member_id: MemberIdPath) -> HoldList:
    return list_holds(app.caller(), member_id)


@app.operator_route("POST", "/admin/members/<memberId>/holds", status_code=201)
def post_hold(
    member_id: MemberIdPath, request: Annotated[AddHoldRequest, Body()]
) -> Response[HoldCreated]:
    created = add_hold(app.caller(), member_id, request)
    return Response(status_code=201, content_type="application/json", body=created)


@app.operator_route("POST", "/admin/members/<memberId>/holds/<holdId>/release")
def post_release(member_id: MemberIdPath, hold_id: HoldId) -> HoldView:
    return release_hold(app.caller(), member_id, hold_id)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
