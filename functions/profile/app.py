"""The member's own profile: view, correct, consents (R-RIGHT-1, R-ADV-1)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.members.consents import ConsentChange, ConsentState, change_consents
from partnercenter.members.profile import Profile, ProfileChange, change_profile, view_profile
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer

app = PartnerCenterResolver()


@app.member_route("GET", "/members/me")
def get_profile() -> Profile:
    return view_profile(app.caller(), app.member())


@app.member_route("PATCH", "/members/me")
def patch_profile(change: ProfileChange) -> Profile:
    return change_profile(app.caller(), app.member(), change)


# Reachable without agreeing to the policy in effect: this is where one agrees (R-NOT-1).
@app.member_route("POST", "/members/me/consents", policy_consent=False)
def post_consents(change: ConsentChange) -> ConsentState:
    return change_consents(app.caller(), app.member(), change)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
