"""Members' rights and the privacy officer's duties: privacy requests (R-RIGHT-3/4), the
third-party provision ledger (R-USE-2) and policy versions with notice (R-NOT-1)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import MemberIdPath, PartnerCenterResolver
from partnercenter.clock import utc_now
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.policy.versions import PolicyVersion, PolicyVersionRequest, publish_version
from partnercenter.rights.provisions import (
    Provision,
    ProvisionConsent,
    ProvisionConsentRequest,
    ProvisionList,
    ProvisionRequest,
    give_provision_consent,
    list_disclosures,
    record_provision,
)
from partnercenter.rights.requests import (
    Answer,
    AnswerResult,
    PrivacyRequest,
    PrivacyRequestFiling,
    PrivacyRequestList,
    ProxyRequestFiling,
    QueueState,
    answer_request,
    check_evidence,
    file_proxy_request,
    file_request,
    get_request,
    list_own_requests,
    list_requests,
)
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()
# Privacy request ids are issued here (UUIDs); any longer value is refused before a lookup,
# far below DynamoDB's 2,048-byte key limit.
RequestIdPath = Annotated[str, Path(alias="requestId", min_length=1, max_length=64)]

Limit = Annotated[int, Query(ge=1, le=100)]
NextToken = Annotated[str | None, Query(alias="nextToken", max_length=2048)]


# ---------------------------------------------------------------- member
# Rights the law gives at any time: open during a suspension and before new consent.
@app.member_route(
    "POST",
    "/members/me/privacy-requests",
    allow_suspended=True,
    policy_consent=False,
    opens_personal_data=True,
    status_code=201,
)
def post_privacy_request(filing: PrivacyRequestFiling) -> tuple[PrivacyRequest, int]:
    return file_request(app.caller(), filing, utc_now()), 201


@app.member_route(
    "GET",
    "/members/me/privacy-requests",
    allow_suspended=True,
    policy_consent=False,
    opens_personal_data=True,
)
def get_own_privacy_requests(limit: Limit = 25, next_token: NextToken = None) -> PrivacyRequestList:
    return list_own_requests(app.caller(), limit, next_token, utc_now())


@app.member_route("POST", "/members/me/provision-consents")
def post_provision_consent(consent: ProvisionConsentRequest) -> ProvisionConsent:
    return give_provision_consent(app.caller(), consent, utc_now())


@app.member_route("GET", "/members/me/disclosures")
def get_disclosures(limit: Limit = 25, next_token: NextToken = None) -> ProvisionList:
    return list_disclosures(app.caller(), limit, next_token)


# ---------------------------------------------------------------- operator
@app.operator_route("POST", "/admin/privacy-requests", status_code=201)
def post_proxy_request(filing: ProxyRequestFiling) -> tuple[PrivacyRequest, int]:
    return file_proxy_request(app.caller(), filing, utc_now()), 201


@app.operator_route("GET", "/admin/privacy-requests")
def get_privacy_requests(
    state: Annotated[QueueState, Query()] = "open",
    limit: Limit = 25,
    next_token: NextToken = None,
) -> PrivacyRequestList:
    return list_requests(app.caller(), state, limit, next_token, utc_now())


@app.operator_route("GET", "/admin/privacy-requests/<requestId>")
def get_privacy_request(request_id: RequestIdPath) -> PrivacyRequest:
    return get_request(app.caller(), request_id, utc_now())


@app.operator_route("POST", "/admin/privacy-requests/<requestId>/evidence-checked")
def post_evidence_checked(request_id: RequestIdPath) -> PrivacyRequest:
    return check_evidence(app.caller(), request_id, utc_now())


@app.operator_route("POST", "/admin/privacy-requests/<requestId>/answer")
def post_answer(request_id: RequestIdPath, answer: Answer) -> AnswerResult:
    return answer_request(app.caller(), request_id, answer, utc_now())


@app.operator_route("POST", "/admin/members/<memberId>/provisions", status_code=201)
def post_provision(member_id: MemberIdPath, provision: ProvisionRequest) -> tuple[Provision, int]:
    return record_provision(app.caller(), member_id, provision, utc_now()), 201


@app.operator_route("POST", "/admin/policy-versions", status_code=201)
def post_policy_version(version: PolicyVersionRequest) -> tuple[PolicyVersion, int]:
    return publish_version(app.caller(), version, utc_now()), 201


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# Answering a request acts on it (rights.acts, imported on first use): primed here.
prime_on_snapshot(app, modules=("partnercenter.rights.acts",))
