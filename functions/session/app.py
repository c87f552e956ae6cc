"""Sign-out: a member's sessions end everywhere (R-CK-1), or an operator's (R-SEC-2)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.members.signout import SignedOut, sign_out
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.operators import OperatorSignedOut, sign_out_operator
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()


# Open during a suspension and before agreeing to a new policy: it only ends sessions.
@app.member_route("POST", "/members/me/sign-out", allow_suspended=True, policy_consent=False)
def post_sign_out() -> SignedOut:
    return sign_out(app.caller())


# Open to any operator, in the group or not: it only ever takes access away.
@app.operator_route("POST", "/admin/sign-out", confirm_operator=False)
def post_operator_sign_out() -> OperatorSignedOut:
    return sign_out_operator(app.caller())


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
