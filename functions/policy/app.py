"""GET /privacy-policy: the current policy as data (public)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.observability import logger, metrics, tracer
from partnercenter.policy import policy_document

app = PartnerCenterResolver()


@app.get("/privacy-policy")
def get_privacy_policy() -> dict[str, Any]:
    return policy_document()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
