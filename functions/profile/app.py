"""The member's own profile: view, correct, consents (R-RIGHT-1, R-ADV-1)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.members.consents import ConsentChange, ConsentState, change_consents
from partnercenter.members.profile import Profile, ProfileChange, change_profile, view_profile
from partnercenter.observability import logger, metrics, tracer
from partnercenter.snapstart import prime_on_snapshot
from partnercenter.usage import record_usage

app = PartnerCenterResolver()
app.use([record_usage])  # R-COL-5: every member request leaves a usage record


@app.get("/members/me")
def get_profile() -> Profile:
    return view_profile(app.caller())


@app.patch("/members/me")
def patch_profile(change: ProfileChange) -> Profile:
    return change_profile(app.caller(), change)


@app.post("/members/me/consents")
def post_consents(change: ConsentChange) -> ConsentState:
    return change_consents(app.caller(), change)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
