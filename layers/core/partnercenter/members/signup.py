"""Signup (POST /members): a verified person becomes a member pending approval (R-COL-1..4).

Order: the verification (under 14: destroyed and refused, R-COL-3), the required consent
(R-COL-2), the identity match (R-IDV-3); then the login ID's claim (the intent, in MembersTable,
before anything exists in Cognito); then the Cognito account, created disabled; then ONE
transaction with the member's items, the claim's replacement by the member's guard, the
verification's consumption and the signup's access record (R-SEC-2). Whatever fails before the
commit deletes the account and the claim again; whatever dies there leaves the claim, and the
reconciler deletes both (docs/signup.md). Nothing that can fail comes after the commit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, SecretStr

from partnercenter.audit.access_records import record_access
from partnercenter.clock import iso_micro, utc_now
from partnercenter.config import get_settings
from partnercenter.dal import cognito, intents, transactions
from partnercenter.dal import members as members_dal
from partnercenter.dal import verifications as verifications_dal
from partnercenter.dal.aws import client
from partnercenter.dal.intents import IN_FLIGHT_WINDOW
from partnercenter.errors import (
    AlreadyMember,
    Conflict,
    ConsentRequired,
    IdentityMismatch,
    LoginIdTaken,
    Under14,
    ValidationFailed,
    VerificationNotFound,
    VerificationUsed,
)
from partnercenter.hashing import login_id_hash, lookup_hash
from partnercenter.identity.verified import UsableVerification, consume_entry, load_for_use
from partnercenter.members.fields import LoginId, Name, Password, Phone
from partnercenter.members.records import NewMember, new_member_writes
from partnercenter.models import ApiModel
from partnercenter.observability import logger, tracer
from partnercenter.policy import current_version

SIGNUP = "signup"


class RequiredConsent(ApiModel):
    policy_version: str = Field(max_length=32)
    agreed: bool


class SignupConsents(ApiModel):
    required: RequiredConsent | None = None
    # Optional and separate; off unless the applicant opts in (R-ADV-1).
    marketing: bool = False


class SignupRequest(ApiModel):
    """Exactly the three collected items plus what signing up needs (R-COL-1)."""

    verification_id: str = Field(min_length=1, max_length=64)
    # The one-time secret POST /identity-verifications returned: binds it to its starter.
    verification_secret: SecretStr = Field(min_length=1, max_length=128)
    login_id: LoginId
    password: Password
    name: Name
    phone: Phone
    consents: SignupConsents | None = None


@dataclass(frozen=True)
class _Claim:
    """This signup's hold on the login ID: its time (unique) and the request's receipt."""

    since: str
    receipt: str | None


class SignupResult(ApiModel):
    member_id: str
    status: Literal["pending_approval"] = "pending_approval"


@tracer.capture_method(capture_response=False)  # the answer may hold personal data
def sign_up(
    request: SignupRequest, idempotency_key: str | None, lambda_context: Any = None
) -> SignupResult:
    """Sign up once; a retry with the same Idempotency-Key returns the first result."""
    if idempotency_key is None:
        return _sign_up(request)
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="key",
        # The same key with another body is refused rather than answered with the first result.
        payload_validation_jmespath="fingerprint",
        lambda_context=lambda_context,
    )
    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table, boto3_client=client("dynamodb")
    )
    answered: list[SignupResult] = []

    def sign_up_once(idempotency: dict[str, str], request: SignupRequest) -> dict[str, str]:
        answered.append(_sign_up(request, _receipt(idempotency)))
        return answered[0].model_dump(by_alias=True)

    once = idempotent_function(
        data_keyword_argument="idempotency",
        persistence_store=persistence,
        config=config,
        key_prefix="signup",
    )(sign_up_once)
    try:
        result = once(
            idempotency={"key": idempotency_key, "fingerprint": _fingerprint(request)},
            request=request,
        )
    except IdempotencyPersistenceLayerError:
        if not answered:
            raise
        # The signup committed; only its idempotency record was not saved. A retry finds the
        # receipt on the member's login-ID guard and answers the same.
        logger.warning("signup committed, idempotency record not saved")
        return answered[0]
    except IdempotencyValidationError:
        raise ValidationFailed(
            "This Idempotency-Key was used with a different request; use a new key.",
            fields=["Idempotency-Key"],
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress; retry shortly."
        ) from None
    return SignupResult.model_validate(result)


def _fingerprint(request: SignupRequest) -> str:
    """A keyed hash of the whole request: the idempotency store never sees its values."""
    canonical = json.dumps(
        {
            **request.model_dump(by_alias=True),
            "password": request.password.get_secret_value(),
            "verificationSecret": request.verification_secret.get_secret_value(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return lookup_hash("signup_request", canonical)


def _receipt(idempotency: dict[str, str]) -> str:
    """This request under this Idempotency-Key, as a keyed hash the member's guard keeps."""
    return lookup_hash("signup_receipt", f"{idempotency['key']}\n{idempotency['fingerprint']}")


def _sign_up(request: SignupRequest, receipt: str | None = None) -> SignupResult:
    now = utc_now()
    login_hash = login_id_hash(request.login_id)
    if receipt is not None:
        # A retry of a signup that committed while its idempotency record was lost or expired.
        guard = members_dal.login_id_guard(login_hash)
        if guard and guard.member_id and guard.signup_receipt == receipt:
            return SignupResult(member_id=guard.member_id)
    verification = load_for_use(
        request.verification_id,
        SIGNUP,
        now,
        secret=request.verification_secret.get_secret_value(),
    )
    if verification.under14:
        # Nothing about a child is kept (R-COL-3): not even the verification.
        verifications_dal.delete(verification.verification_id)
        raise Under14()
    policy_version = current_version(now)  # read once: the consent and the record agree
    marketing = _marketing_after_required_consent(request.consents, policy_version)
    if verification.name != request.name or verification.phone != request.phone:
        raise IdentityMismatch()
    if verification.person_hash is None:
        raise VerificationNotFound("The identity verification is not complete yet.")
    claim = _Claim(f"{iso_micro(now)}#{uuid.uuid4().hex}", receipt)
    if not intents.claim_login_id(
        login_hash,
        intents.seal_login_id(login_hash, request.login_id),
        claim.since,
        receipt,
        iso_micro(now - IN_FLIGHT_WINDOW),
    ):
        raise LoginIdTaken()
    member_id: str | None = None
    try:
        member_id = _create_account(request)
        _store_member(
            request,
            verification,
            verification.person_hash,
            policy_version,
            marketing,
            member_id,
            now,
            claim,
        )
    except BaseException:
        if member_id is not None and _committed(login_hash, member_id):
            return SignupResult(member_id=member_id)  # the commit's reply was lost
        # Compensation: no account and no claim outlive a signup that did not commit.
        if member_id is not None:
            cognito.delete_own_user(request.login_id, member_id)
        intents.release_claim(login_hash, claim.since)
        raise
    logger.info("signup stored", extra={"memberId": member_id})
    return SignupResult(member_id=member_id)


def _committed(login_hash: str, member_id: str) -> bool:
    guard = members_dal.login_id_guard(login_hash)
    return guard is not None and guard.member_id == member_id


def _marketing_after_required_consent(consents: SignupConsents | None, current: str) -> bool:
    """Refuse a signup without the required consent to the current version; else the opt-in."""
    if consents is None or consents.required is None or not consents.required.agreed:
        raise ConsentRequired()
    if consents.required.policy_version != current:
        raise ConsentRequired(
            "Your consent names a privacy policy version that is not current; read the current "
            "version (GET /privacy-policy), agree to it and send the request again."
        )
    return consents.marketing


def _create_account(request: SignupRequest) -> str:
    """The disabled Cognito user; its sub is the memberId. Called holding the login ID's claim."""
    login_id, password = request.login_id, request.password.get_secret_value()
    try:
        try:
            return cognito.create_disabled_user(login_id, password)
        except cognito.UsernameExists:
            pass
        # The claim means no member owns this login ID: the account is an orphan of a signup
        # that died, or the account of an ended membership not deleted yet. Either must go.
        cognito.delete_user(login_id)
        try:
            return cognito.create_disabled_user(login_id, password)
        except cognito.UsernameExists:
            raise LoginIdTaken() from None
    except cognito.PasswordRefused:
        raise ValidationFailed(
            "The password does not meet the policy: at least 10 characters with a lowercase "
            "letter and a digit.",
            fields=["password"],
        ) from None


def _store_member(
    request: SignupRequest,
    verification: UsableVerification,
    person_hash: str,
    policy_version: str,
    marketing: bool,
    member_id: str,
    now: datetime,
    claim: _Claim,
) -> None:
    writes = new_member_writes(
        NewMember(
            member_id=member_id,
            login_id=request.login_id,
            name=request.name,
            phone=request.phone,
            person_hash=person_hash,
            vendor=verification.vendor,
            verified_at=verification.verified_at,
            policy_version=policy_version,
            marketing=marketing,
            requested_at=now,
        )
    )
    # The member's guard replaces this signup's own claim, and so clears it.
    writes = replace(
        writes,
        login_id_guard=members_dal.claimed_login_id_guard_put(
            login_id_hash(request.login_id), member_id, claim.since, claim.receipt
        ),
    )
    consumed = consume_entry(verification, now)
    try:
        # The applicant's data enters the system (R-SEC-2): the signup's access record is
        # committed with it, so it exists iff the signup committed.
        record_access(
            actor=member_id,
            actor_role="member",
            member_id=member_id,
            action="signup",
            along=writes.transaction().add("verification", consumed),
        )
    except transactions.TransactionCancelled as cancelled:
        if cancelled.failed("login_id_guard"):
            raise LoginIdTaken() from None
        if cancelled.failed("person_guard"):
            raise AlreadyMember() from None
        if cancelled.failed("verification"):
            raise VerificationUsed() from None
        raise Conflict() from None
