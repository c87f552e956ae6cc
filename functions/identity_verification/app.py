"""Identity verification through the mobile-auth vendor (R-IDV-1..4): start, vendor's return."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import RAW_BODY_EXTENSION, PartnerCenterResolver
from partnercenter.clock import utc_now
from partnercenter.identity.flow import (
    CallbackFields,
    CallbackResult,
    EmptyRequest,
    StartResult,
    StartVerificationRequest,
    receive_callback,
    start_profile_verification,
    start_verification,
)
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()
# The start routes answer 201 (a verification was created), which the OpenAPI document says.
_CREATED: dict[int, OpenAPIResponse] = {
    201: {
        "description": "The verification was started; post formFields to actionUrl.",
        "content": {"application/json": {"model": StartResult}},
    }
}


@app.public_route("POST", "/identity-verifications", responses=_CREATED)
def start(body: Annotated[StartVerificationRequest, Body()]) -> tuple[StartResult, int]:
    return start_verification(body.purpose, None, utc_now()), 201


@app.member_route("POST", "/members/me/identity-verifications", responses=_CREATED)
def start_for_member(
    body: Annotated[EmptyRequest, Body()],  # noqa: ARG001 (validated: only {} is accepted)
) -> tuple[StartResult, int]:
    return start_profile_verification(app.caller(), utc_now()), 201


# The vendor posts in its own wire format (form-encoded for KMC), so the body is read raw;
# local/openapi.py describes it from the model named here.
@app.public_route(
    "POST",
    "/identity-verifications/<verificationId>/callback",
    openapi_extensions={RAW_BODY_EXTENSION: CallbackFields.__name__},
)
def vendor_callback(verificationId: str) -> CallbackResult:
    event = app.current_event
    return receive_callback(
        verificationId, event.decoded_body, event.headers.get("content-type"), utc_now()
    )


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
