"""Domain errors and the contract's error codes, mapped to HTTP in exactly one place.

Every exception the domain raises is a ``PartnerCenterError`` subclass carrying the contract's
``code`` and status. Messages are fixed sentences that say what to do next; they never
interpolate personal data (R-SEC-3). ``fields`` may name offending *field names* only.
"""

from __future__ import annotations

from typing import ClassVar


class PartnerCenterError(Exception):
    """Base of every error that reaches a client as the contract's error body."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Something went wrong on our side; please retry later."

    def __init__(self, message: str | None = None, *, fields: list[str] | None = None) -> None:
        self.message = message or self.default_message
        self.fields = fields or []
        super().__init__(self.message)


class ValidationFailed(PartnerCenterError):
    code = "VALIDATION_FAILED"
    status = 422
    default_message = "The request is malformed; correct the listed fields and send it again."


class Unauthorized(PartnerCenterError):
    code = "UNAUTHORIZED"
    status = 401
    default_message = "Sign in and send a valid token in the Authorization header."


class Forbidden(PartnerCenterError):
    code = "FORBIDDEN"
    status = 403
    default_message = "You are not allowed to do this."


class NotFound(PartnerCenterError):
    code = "NOT_FOUND"
    status = 404
    default_message = "No such resource."


class ConsentRequired(PartnerCenterError):
    code = "CONSENT_REQUIRED"
    status = 400
    default_message = (
        "Agree to the collection and use of the required items under the current privacy "
        "policy version (see GET /privacy-policy) and send the request again."
    )


class Under14(PartnerCenterError):
    code = "UNDER_14"
    status = 403
    default_message = "Children under 14 cannot join; nothing about this application has been kept."


class IdentityMismatch(PartnerCenterError):
    code = "IDENTITY_MISMATCH"
    status = 422
    default_message = (
        "The submitted name or phone differs from the verified identity; "
        "submit the values you verified, or verify again."
    )


class VerificationNotFound(PartnerCenterError):
    code = "VERIFICATION_NOT_FOUND"
    status = 404
    default_message = "Unknown verification; start a new identity verification."


class VerificationExpired(PartnerCenterError):
    code = "VERIFICATION_EXPIRED"
    status = 410
    default_message = "The identity verification has expired; start a new one."


class VerificationUsed(PartnerCenterError):
    code = "VERIFICATION_USED"
    status = 409
    default_message = "This identity verification was already used; start a new one."


class VerificationTampered(PartnerCenterError):
    code = "VERIFICATION_TAMPERED"
    status = 400
    default_message = (
        "The verification result failed its integrity check or belongs to another request; "
        "start a new identity verification."
    )


class VerificationFailed(PartnerCenterError):
    code = "VERIFICATION_FAILED"
    status = 422
    default_message = "Identity verification was not completed at the vendor; try again."


class VendorUnavailable(PartnerCenterError):
    code = "VENDOR_UNAVAILABLE"
    status = 503
    default_message = (
        "The identity-verification vendor did not answer; nothing was changed, retry later."
    )


class LoginIdTaken(PartnerCenterError):
    code = "LOGIN_ID_TAKEN"
    status = 409
    default_message = "This login ID is already in use; choose another."


class AlreadyMember(PartnerCenterError):
    code = "ALREADY_MEMBER"
    status = 409
    default_message = "You already have an active or pending membership."


class NoticeTooShort(PartnerCenterError):
    code = "NOTICE_TOO_SHORT"
    status = 400
    default_message = (
        "A policy change must be announced at least 7 days before it takes effect "
        "(30 days for a material change)."
    )


class Conflict(PartnerCenterError):
    """The resource changed meanwhile (a lost race); the client may retry."""

    code = "CONFLICT"
    status = 409
    default_message = "The resource changed while the request was processed; retry."


class NotABreachNotice(PartnerCenterError):
    """A report to the authorities was recorded against a notice that is not a breach."""

    code = "NOT_A_BREACH_NOTICE"
    status = 409
    default_message = (
        "Reports to PIPC/KISA are recorded on breach notices only; name a breach notice."
    )


class ProvisionConsentMissing(PartnerCenterError):
    code = "PROVISION_CONSENT_MISSING"
    status = 409
    default_message = (
        "The member has not consented to this provision (recipient, purpose, items and retention "
        "period); record it on another legal basis or ask for the member's consent first."
    )


class ProxyEvidenceUnchecked(PartnerCenterError):
    code = "PROXY_EVIDENCE_NOT_CHECKED"
    status = 403
    default_message = (
        "Nothing about the member is disclosed on a proxy's request until an operator has "
        "checked the proof of agency (POST .../evidence-checked)."
    )


class PolicyConsentRequired(PartnerCenterError):
    code = "POLICY_CONSENT_REQUIRED"
    status = 403
    default_message = (
        "The privacy policy changed materially; read GET /privacy-policy and agree with "
        'POST /members/me/consents {"policyVersion": ..., "agreed": true} to continue.'
    )


class MemberSuspended(PartnerCenterError):
    code = "MEMBER_SUSPENDED"
    status = 403
    default_message = (
        "Your account is suspended (이용정지) by an operator; member routes are closed until the "
        "suspension ends. You can still sign out or withdraw, or ask the privacy officer why."
    )


class ProcessingSuspended(PartnerCenterError):
    code = "PROCESSING_SUSPENDED"
    status = 409
    default_message = (
        "The member asked for their data's processing to be suspended: optional uses of their data "
        "are refused until the suspension ends; uses the law requires are not affected."
    )


class MfaRequired(PartnerCenterError):
    code = "MFA_REQUIRED"
    status = 401
    default_message = (
        "Operator routes need a sign-in with your authenticator app's code (TOTP); "
        "enrol an authenticator and sign in again."
    )


class NoRetentionPurpose(PartnerCenterError):
    code = "NO_RETENTION_PURPOSE"
    status = 403
    default_message = (
        "Retained data is read only for the purpose it is kept for: no open hold of this kind "
        "covers the withdrawn member (R-RET-5). Place the hold first if the purpose is real."
    )
