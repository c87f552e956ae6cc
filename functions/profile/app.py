"""The member's own profile: view, correct, consents, access history and export (R-RIGHT-1,
R-ADV-1, R-SEC-2)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.audit.history import AccessHistory
from partnercenter.members.consents import ConsentChange, ConsentState, change_consents
from partnercenter.members.export import Export, export, own_access_history
from partnercenter.members.profile import Profile, ProfileChange, change_profile, view_profile
from partnercenter.observability import logger, metrics, tracer
from partnercenter.usage import record_usage

app = PartnerCenterResolver()
app.use([record_usage])  # R-COL-5: every member request leaves a usage record

Limit = Annotated[int, Query(ge=1, le=100)]
NextToken = Annotated[str | None, Query(alias="nextToken", max_length=2048)]


@app.get("/members/me")
def get_profile() -> Profile:
    return view_profile(app.caller())


@app.patch("/members/me")
def patch_profile(change: ProfileChange) -> Profile:
    return change_profile(app.caller(), change)


@app.post("/members/me/consents")
def post_consents(change: ConsentChange) -> ConsentState:
    return change_consents(app.caller(), change)


@app.get("/members/me/access-history")
def get_access_history(limit: Limit = 25, next_token: NextToken = None) -> AccessHistory:
    return own_access_history(app.caller(), limit, next_token)


@app.get("/members/me/export")
def get_export() -> Export:
    return export(app.caller())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
