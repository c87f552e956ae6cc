"""Withdrawal (R-RIGHT-2, R-RET-1..7): the member's own request, or an operator acting on the
member's written request (letter, e-mail, phone) - the same withdrawal either way."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import MemberIdPath, PartnerCenterResolver
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.retention.withdrawal import (
    WithdrawalReceipt,
    WithdrawalRequest,
    WrittenWithdrawalRequest,
    withdraw,
    withdraw_on_request,
)
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()


# Open whatever the member thinks of a new policy (R-RIGHT-2, R-NOT-1) and during a suspension
# (R-COL-5); a repeat after the withdrawal committed is answered again. It opens the member's
# items to move them: the gate reads the data key with the member.
@app.member_route(
    "POST",
    "/members/me/withdrawal",
    allow_suspended=True,
    policy_consent=False,
    repeat_after_end=True,
    opens_personal_data=True,
)
def post_withdrawal(
    _request: Annotated[WithdrawalRequest | None, Body()] = None,
) -> WithdrawalReceipt:
    return withdraw(app.caller(), app.member_or_none(), app.request_id)


@app.operator_route("POST", "/admin/members/<memberId>/withdrawal")
def post_withdrawal_on_request(
    member_id: MemberIdPath,
    request: WrittenWithdrawalRequest,
) -> WithdrawalReceipt:
    return withdraw_on_request(app.caller(), member_id, request, app.request_id)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
