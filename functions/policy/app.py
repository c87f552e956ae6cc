"""GET /privacy-policy: the current policy as data (public)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.clock import utc_now
from partnercenter.observability import logger, metrics, tracer
from partnercenter.policy.versions import policy_as_published

app = PartnerCenterResolver()


@app.get("/privacy-policy")
def get_privacy_policy() -> dict[str, Any]:
    # The version in effect, and the versions announced during their notice period (R-NOT-1).
    return policy_as_published(utc_now())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
