"""Operator routes (privacy-admin group)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.members.admin import MemberList, MemberStatus, list_members
from partnercenter.observability import logger, metrics, tracer

app = PartnerCenterResolver()


@app.get("/admin/members")
def get_members(
    status: Annotated[MemberStatus, Query()] = "pending_approval",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=2048)] = None,
) -> MemberList:
    return list_members(app.operator(), status, limit, next_token)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
