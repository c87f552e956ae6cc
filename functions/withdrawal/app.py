"""POST /members/me/withdrawal: the member withdraws (R-RIGHT-2, R-RET-1..7)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.observability import logger, metrics, tracer
from partnercenter.retention.withdrawal import WithdrawalReceipt, WithdrawalRequest, withdraw

app = PartnerCenterResolver()


@app.post("/members/me/withdrawal")
def post_withdrawal(
    _request: Annotated[WithdrawalRequest | None, Body()] = None,
) -> WithdrawalReceipt:
    return withdraw(app.caller(), app.request_id)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
