"""What each operation of docs/openapi.json is for: its summary, its description naming the
policy rules it keeps (docs/rules.md), and which sample event of events/ is its request body's
example. local/openapi.py merges this into the generated document; a route without an entry
here fails the generation (and so the drift test)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OperationDoc:
    summary: str
    description: str
    event: str | None = None  # events/<event>.json: the request body's example


SIGNUP_FIELD_RULES = (
    "password: 10-256 characters with at least one lowercase letter and one digit (the user "
    "pool's policy). loginId: 4-20 of `[a-z0-9._-]`. phone: Korean mobile number, digits "
    "only (`01012345678`). name: 1-50 characters, no control characters."
)

OPERATIONS: dict[tuple[str, str], OperationDoc] = {
    # ------------------------------------------------------------------ public
    ("get", "/privacy-policy"): OperationDoc(
        "The privacy policy in force",
        "The current version (the one a signup's consent names), what is collected and why, "
        "retention, processors and the privacy officer's contacts, plus upcoming versions and "
        "announcements. R-CPO-1, R-USE-3, R-COL-2, R-NOT-1, R-NOT-2.",
    ),
    ("post", "/identity-verifications"): OperationDoc(
        "Start an identity verification for a signup",
        "Returns the vendor's page (`actionUrl`) and the sealed `formFields` the browser posts "
        "to it. Locally the vendor is the simulator: post the fields with `simName`, `simPhone`, "
        "`simBirthDate` (and optionally `simCi`, `simScenario`) and `Accept: application/json` "
        "to get the callback URL and fields back as JSON. R-IDV-1, R-IDV-2.",
        "identity-verification-start",
    ),
    ("post", "/identity-verifications/{verificationId}/callback"): OperationDoc(
        "The identity vendor's return",
        "Posted by the browser from the vendor's page, in the vendor's own wire format: KMC "
        "posts a form (`application/x-www-form-urlencoded`: `certNum`, `apiToken`), PortOne "
        "JSON. Accepted once, fresh and intact; only the minimum of the result is kept, never "
        "the CI, birth date or payload; under-14s are refused with nothing kept. "
        "R-IDV-1, R-IDV-2, R-IDV-4, R-COL-3.",
        "identity-verification-callback",
    ),
    ("post", "/members"): OperationDoc(
        "Sign up (pending an operator's approval)",
        "Collects exactly name, login ID and phone with the required consent to a named policy "
        "version; name and phone must equal the verified values exactly. "
        f"{SIGNUP_FIELD_RULES} R-COL-1, R-COL-2, R-COL-3, R-COL-4, R-IDV-3.",
        "signup",
    ),
    # ------------------------------------------------------------------ member
    ("get", "/members/me"): OperationDoc(
        "My profile",
        "The member's own data, consents and sanctions; the read is recorded. R-RIGHT-1, R-SEC-2.",
    ),
    ("patch", "/members/me"): OperationDoc(
        "Correct my profile",
        "A new phone (or name) needs a fresh verification of the new values "
        "(`POST /members/me/identity-verifications`), sent as `verificationId`. "
        "R-RIGHT-1, R-IDV-3.",
        "patch-profile",
    ),
    ("get", "/members/me/access-history"): OperationDoc(
        "Who handled my data",
        "The access records about the member, newest first: when, the actor's role "
        "(`member`, `operator`, `system`; an operator never by name, login or id) and the "
        "action. Paged with `limit` and the sealed `nextToken`; the view is itself recorded. "
        "R-SEC-2, R-RIGHT-1.",
    ),
    ("get", "/members/me/export"): OperationDoc(
        "Everything held about me, in one document",
        "The profile (as `GET /members/me`), consent history, third-party provisions, privacy "
        "requests and access history, newest first. Bounded to Lambda's 6 MB response: a "
        "section cut short is named in `truncated`. Each export is an access record "
        "(`export`). R-RIGHT-1, R-SEC-2.",
    ),
    ("post", "/members/me/consents"): OperationDoc(
        "Agree to a policy version, or change marketing consent",
        "After a material policy change, member routes answer POLICY_CONSENT_REQUIRED until "
        "the member agrees to the current version; marketing is opt-in only, and turning it on "
        "during a processing suspension (처리정지) answers 409 PROCESSING_SUSPENDED. "
        "R-COL-2, R-NOT-1, R-ADV-1, R-RIGHT-3.",
        "post-consents",
    ),
    ("get", "/members/me/disclosures"): OperationDoc(
        "What was provided to third parties about me",
        "The member's third-party provisions (recipient, purpose, items, period). "
        "R-USE-2, R-RIGHT-1.",
    ),
    ("post", "/members/me/identity-verifications"): OperationDoc(
        "Start an identity verification for a profile change",
        "As `POST /identity-verifications`, bound to the signed-in member. R-RIGHT-1, R-IDV-1.",
        "member-identity-verification-start",
    ),
    ("get", "/members/me/privacy-requests"): OperationDoc(
        "My privacy requests",
        "The member's own requests (access, correction, deletion, suspension) and their "
        "answers. R-RIGHT-3.",
    ),
    ("post", "/members/me/privacy-requests"): OperationDoc(
        "File a privacy request",
        "Answered within 10 days; a delay or refusal says why and how to object. R-RIGHT-3.",
        "rights-file-request",
    ),
    ("post", "/members/me/provision-consents"): OperationDoc(
        "Consent to a third-party provision",
        "Names recipient, purpose, items and retention period. R-USE-2.",
        "rights-provision-consent",
    ),
    ("post", "/members/me/sign-out"): OperationDoc(
        "Sign out everywhere",
        "Revokes the member's tokens; session cookies end at logout. R-CK-1.",
    ),
    ("post", "/members/me/withdrawal"): OperationDoc(
        "Withdraw",
        "At any time. What no retention reason covers is destroyed at once; name and phone "
        "are kept apart for a year (longer while a settlement or complaint is open). "
        "R-RIGHT-2, R-RET-1, R-RET-2, R-RET-5.",
        "withdrawal",
    ),
    # ------------------------------------------------------------------ operator
    ("post", "/admin/sign-out"): OperationDoc(
        "Operator: sign out everywhere",
        "Ends every session of the operator at once: tokens issued before now are refused at "
        "the next request, not at their expiry. R-SEC-2.",
    ),
    ("get", "/admin/access-review"): OperationDoc(
        "Review of personal-data access records",
        "Access records over a range, with the verification of their hash chains and anchors. "
        "R-SEC-2.",
    ),
    ("get", "/admin/destruction-records"): OperationDoc(
        "Destruction records",
        "Every destruction in a range (at most 366 days), naming the member by pseudonym "
        "only, never the destroyed data. R-RET-7, R-RET-6.",
    ),
    ("get", "/admin/members"): OperationDoc(
        "List members",
        "Members by status (e.g. `pending_approval`), for approval and management; the read is "
        "recorded. R-COL-4, R-SEC-2.",
    ),
    ("post", "/admin/members/{memberId}/decision"): OperationDoc(
        "Approve or reject a signup",
        "A pending member becomes active, or is rejected and destroyed. R-COL-4.",
        "admin-decision",
    ),
    ("get", "/admin/members/{memberId}/holds"): OperationDoc(
        "A member's retention holds",
        "Every hold on an active or withdrawn member, open, ended or released, oldest first; "
        "holds carry no personal data. R-RET-2, R-RET-3, R-RET-4.",
    ),
    ("post", "/admin/members/{memberId}/retained-data/reads"): OperationDoc(
        "Read retained data for its purpose",
        "Opens a withdrawn member's retained items only while an open hold of the purpose "
        "asked for (settlement, complaint, legal) keeps them, and only the items it keeps; "
        "any other purpose is refused with 403 `NO_RETENTION_PURPOSE`. Each read is an access "
        "record naming the purpose. R-RET-5, R-SEC-2.",
        "admin-read-retained-data",
    ),
    ("post", "/admin/members/{memberId}/holds"): OperationDoc(
        "Hold retained data",
        "A settlement, complaint, member request or statute keeps retained items past their "
        "period. R-RET-2, R-RET-3, R-RET-4.",
        "admin-add-hold",
    ),
    ("post", "/admin/members/{memberId}/holds/{holdId}/release"): OperationDoc(
        "Release a hold",
        "The next purge destroys what no other reason keeps. R-RET-2, R-RET-3, R-RET-4.",
    ),
    ("post", "/admin/members/{memberId}/provisions"): OperationDoc(
        "Record a third-party provision",
        "Needs the member's consent to it, or fee settlement or a statute as its basis. A "
        "consent-based provision during the member's processing suspension (처리정지) answers "
        "409 PROCESSING_SUSPENDED; the other bases are not optional and go on. R-USE-2, R-RIGHT-3.",
        "admin-record-provision",
    ),
    ("get", "/admin/members/{memberId}/sanctions"): OperationDoc(
        "A member's sanction records",
        "The sanction records still kept (in force, lifted, ended), also after a withdrawal; "
        "the read is recorded. R-COL-5, R-RET-8, R-SEC-2.",
    ),
    ("post", "/admin/members/{memberId}/sanctions"): OperationDoc(
        "Suspend a member (이용정지)",
        "Sanction records are usage records kept for their purpose and period. R-COL-5, R-RET-8.",
        "admin-impose-sanction",
    ),
    ("post", "/admin/members/{memberId}/sanctions/{sanctionId}/lift"): OperationDoc(
        "Lift a suspension",
        "Member routes open again. R-COL-5.",
    ),
    ("post", "/admin/members/{memberId}/withdrawal"): OperationDoc(
        "Withdraw a member on their (or their proxy's) request",
        "As the member's own withdrawal. R-RIGHT-2, R-RIGHT-4, R-RET-1.",
        "admin-withdrawal-on-request",
    ),
    ("post", "/admin/notices"): OperationDoc(
        "Notify members",
        "Individual notices, e.g. of a breach (within 72 hours, with its facts) or a business "
        "transfer (30 days ahead). R-SEC-4, R-NOT-2.",
        "admin-create-notice",
    ),
    ("get", "/admin/notices/{noticeId}"): OperationDoc(
        "A notice's delivery",
        "How far a notice campaign got; for a breach, the member-notification and PIPC/KISA "
        "report deadlines and whether each was met. R-SEC-4, R-NOT-2.",
    ),
    ("post", "/admin/notices/{noticeId}/authority-reports"): OperationDoc(
        "Record a breach report to PIPC/KISA",
        "The first report (which may be partial, complete false) or a follow-up, with the facts "
        "it states; 409 NOT_A_BREACH_NOTICE on other notices. R-SEC-4 (2026 amendment).",
        "admin-report-breach",
    ),
    ("post", "/admin/policy-versions"): OperationDoc(
        "Publish a new policy version",
        "Announced at least 7 days before it takes effect, 30 for a material change. R-NOT-1.",
        "admin-publish-policy-version",
    ),
    ("get", "/admin/privacy-requests"): OperationDoc(
        "Privacy requests to answer",
        "Open requests with their 10-day deadlines. R-RIGHT-3.",
    ),
    ("post", "/admin/privacy-requests"): OperationDoc(
        "File a request on a proxy's behalf",
        "Nothing is disclosed until the proof of agency is checked. R-RIGHT-4, R-RIGHT-3.",
        "admin-file-proxy-request",
    ),
    ("get", "/admin/privacy-requests/{requestId}"): OperationDoc(
        "One privacy request", "A request and its answer. R-RIGHT-3, R-RIGHT-4."
    ),
    ("post", "/admin/privacy-requests/{requestId}/answer"): OperationDoc(
        "Answer a privacy request",
        "The answer does the work: `done` on a delete request withdraws the member as the "
        "operator withdrawal does (its destruction record's runId is "
        "`withdrawal-privacy-request-{requestId}`); on a correct request it applies the name "
        "and phone of the member's new identity verification (`verificationId`, 422 without "
        "one, the request staying open); on a suspend request it suspends optional processing "
        "(PROCESSING_SUSPENDED). `delayed` gives a new `dueAt` 10 days from the delay, against "
        "which the request is overdue. A delay or refusal states why and how to object. The "
        "member is texted every answer (fixed wording and the request id). "
        "R-RIGHT-1, R-RIGHT-2, R-RIGHT-3, R-RIGHT-4.",
        "admin-answer-privacy-request",
    ),
    ("post", "/admin/privacy-requests/{requestId}/evidence-checked"): OperationDoc(
        "Confirm a proxy's proof of agency", "Checked before any disclosure. R-RIGHT-4."
    ),
}
