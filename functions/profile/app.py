"""The member's own profile: view, correct, consents, access history and export (R-RIGHT-1,
R-ADV-1, R-SEC-2)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.audit.history import AccessHistory
from partnercenter.members.consents import ConsentChange, ConsentState, change_consents
from partnercenter.members.profile import Profile, ProfileChange, change_profile, view_profile
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.rights.export import Export, export, own_access_history
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()

Limit = Annotated[int, Query(ge=1, le=100)]
NextToken = Annotated[str | None, Query(alias="nextToken", max_length=2048)]


@app.member_route("GET", "/members/me", opens_personal_data=True)
def get_profile() -> Profile:
    return view_profile(app.caller(), app.member())


@app.member_route("PATCH", "/members/me", opens_personal_data=True)
def patch_profile(change: ProfileChange) -> Profile:
    return change_profile(app.caller(), app.member(), change)


# Reachable without agreeing to the policy in effect: this is where one agrees (R-NOT-1).
@app.member_route("POST", "/members/me/consents", policy_consent=False)
def post_consents(change: ConsentChange) -> ConsentState:
    return change_consents(app.caller(), app.member(), change)


# The rights stay open while suspended or before agreeing to a new policy version (R-RIGHT-1).
@app.member_route("GET", "/members/me/access-history", allow_suspended=True, policy_consent=False)
def get_access_history(limit: Limit = 25, next_token: NextToken = None) -> AccessHistory:
    return own_access_history(app.caller(), limit, next_token)


# Its profile is GET /members/me's, gated alike.
@app.member_route("GET", "/members/me/export", opens_personal_data=True)
def get_export() -> Export:
    return export(app.caller(), app.member())


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# Correcting the profile reads its verification (identity.verified, imported on first use):
# primed here.
prime_on_snapshot(app, modules=("partnercenter.identity.verified",))
