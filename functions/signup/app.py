"""POST /members: signup of a verified person, pending an operator's approval (public)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.members.signup import SignupRequest, SignupResult, sign_up
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()


@app.public_route("POST", "/members", status_code=201)
def post_member(
    request: SignupRequest,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$"),
    ] = None,
) -> tuple[SignupResult, int]:
    return sign_up(request, idempotency_key, app.lambda_context), 201


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
