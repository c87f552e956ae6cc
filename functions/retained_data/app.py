"""Retained data read for the purpose an open hold keeps it for (R-RET-5).

The only function whose role can unwrap retained data keys (template.yaml).
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import MemberIdPath, PartnerCenterResolver
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.retention.retained_reads import (
    RetainedData,
    RetainedReadRequest,
    read_retained,
)
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()


@app.operator_route("POST", "/admin/members/<memberId>/retained-data/reads")
def post_read(
    member_id: MemberIdPath, request: Annotated[RetainedReadRequest, Body()]
) -> RetainedData:
    return read_retained(app.caller(), member_id, request)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
