"""Sign-out: a member's sessions end everywhere (R-CK-1), or an operator's (R-SEC-2)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.members.signout import SignedOut, sign_out
from partnercenter.observability import logger, metrics, tracer
from partnercenter.operators import OperatorSignedOut, sign_out_operator
from partnercenter.snapstart import prime_on_snapshot
from partnercenter.usage import record_usage

app = PartnerCenterResolver()
app.use([record_usage])  # R-COL-5: every member request leaves a usage record


@app.post("/members/me/sign-out")
def post_sign_out() -> SignedOut:
    return sign_out(app.caller())


@app.post("/admin/sign-out")
def post_operator_sign_out() -> OperatorSignedOut:
    return sign_out_operator(app.caller())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
