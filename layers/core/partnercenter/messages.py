"""The error body's ``message`` in English and Korean, one text per contract code.

``Accept-Language`` picks the language (Korean when it prefers ``ko`` over English, English
otherwise); the ``code`` never changes. English is the message the error carries (a raise
site may say more precisely what to do); Korean is this catalogue's text for the code. Neither
ever holds a value the client sent, only field names in ``fields`` (R-SEC-3).
"""

from __future__ import annotations

from typing import Literal

from partnercenter import errors

Language = Literal["en", "ko"]

# Codes the HTTP edge (api.py) answers with that no domain error carries.
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
EDGE_ENGLISH = {
    UNSUPPORTED_MEDIA_TYPE: "Send the body as application/json.",
    PAYLOAD_TOO_LARGE: "The body is larger than this API takes.",
}

KOREAN = {
    "INTERNAL_ERROR": "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.",
    "VALIDATION_FAILED": (
        "요청 형식이 올바르지 않습니다. fields에 표시된 항목을 고쳐 다시 보내 주세요."
    ),
    "UNAUTHORIZED": "로그인한 뒤 Authorization 헤더에 유효한 토큰을 보내 주세요.",
    "FORBIDDEN": "이 작업을 할 권한이 없습니다.",
    "MFA_REQUIRED": (
        "운영자 경로는 인증 앱의 일회용 코드(TOTP)로 로그인해야 합니다. 인증 앱을 등록한 뒤 "
        "다시 로그인해 주세요."
    ),
    "NOT_FOUND": "요청한 대상을 찾을 수 없습니다.",
    "CONSENT_REQUIRED": (
        "현행 개인정보처리방침(GET /privacy-policy)에 따른 필수 항목 수집·이용에 동의한 뒤 "
        "다시 요청해 주세요."
    ),
    "UNDER_14": "만 14세 미만 아동은 가입할 수 없으며, 이 신청에 관한 정보는 보관하지 않았습니다.",
    "IDENTITY_MISMATCH": (
        "입력한 이름 또는 휴대전화번호가 본인확인 결과와 다릅니다. 본인확인한 값을 입력하거나 "
        "다시 본인확인해 주세요."
    ),
    "VERIFICATION_NOT_FOUND": "알 수 없는 본인확인입니다. 본인확인을 새로 시작해 주세요.",
    "VERIFICATION_EXPIRED": "본인확인 유효시간이 지났습니다. 본인확인을 새로 시작해 주세요.",
    "VERIFICATION_USED": "이미 사용한 본인확인입니다. 본인확인을 새로 시작해 주세요.",
    "VERIFICATION_TAMPERED": (
        "본인확인 결과의 무결성 검증에 실패했거나 다른 요청의 결과입니다. 본인확인을 새로 "
        "시작해 주세요."
    ),
    "VERIFICATION_FAILED": "본인확인 기관에서 본인확인이 완료되지 않았습니다. 다시 시도해 주세요.",
    "VENDOR_UNAVAILABLE": (
        "본인확인 기관이 응답하지 않았습니다. 아무것도 변경되지 않았으니 잠시 후 다시 시도해 "
        "주세요."
    ),
    "LOGIN_ID_TAKEN": "이미 사용 중인 아이디입니다. 다른 아이디를 선택해 주세요.",
    "ALREADY_MEMBER": "이미 이용 중이거나 승인 대기 중인 회원 가입이 있습니다.",
    "NOTICE_TOO_SHORT": (
        "개인정보처리방침 변경은 시행 7일 전(중요한 변경은 30일 전)까지 공지해야 합니다."
    ),
    "CONFLICT": "처리하는 동안 대상이 변경되었습니다. 다시 시도해 주세요.",
    "NOT_A_BREACH_NOTICE": (
        "개인정보보호위원회·한국인터넷진흥원 신고는 유출 통지에만 기록할 수 있습니다. 유출 통지를 "
        "지정해 주세요."
    ),
    "PROVISION_CONSENT_MISSING": (
        "회원이 이 제3자 제공(받는 자, 목적, 항목, 보유기간)에 동의하지 않았습니다. 다른 법적 "
        "근거로 기록하거나 먼저 회원의 동의를 받아 주세요."
    ),
    "PROXY_EVIDENCE_NOT_CHECKED": (
        "운영자가 대리권 증빙을 확인(POST .../evidence-checked)하기 전에는 대리인의 요청에 "
        "회원 정보를 공개하지 않습니다."
    ),
    "POLICY_CONSENT_REQUIRED": (
        "개인정보처리방침이 중요하게 변경되었습니다. GET /privacy-policy를 읽고 "
        "POST /members/me/consents로 동의해야 계속 이용할 수 있습니다."
    ),
    "MEMBER_SUSPENDED": (
        "운영자가 계정을 이용정지했습니다. 정지가 끝날 때까지 회원 기능을 이용할 수 없으며, "
        "로그아웃이나 탈퇴는 할 수 있고 개인정보 보호책임자에게 사유를 문의할 수 있습니다."
    ),
    "PROCESSING_SUSPENDED": (
        "회원이 개인정보 처리정지를 요구하여 선택적인 이용은 정지가 끝날 때까지 거절됩니다. "
        "법령이 요구하는 이용은 영향을 받지 않습니다."
    ),
    "NO_RETENTION_PURPOSE": (
        "보존 중인 정보는 보존 목적으로만 열람할 수 있습니다. 이 목적의 보존 조치가 탈퇴 회원에게 "
        "걸려 있지 않습니다."
    ),
    UNSUPPORTED_MEDIA_TYPE: "본문을 application/json으로 보내 주세요.",
    PAYLOAD_TOO_LARGE: "본문이 이 API가 받는 크기보다 큽니다.",
}


def english_catalogue() -> dict[str, str]:
    """Every contract code with its English text: the domain errors' and the edge's."""
    catalogue = dict(EDGE_ENGLISH)
    pending: list[type[errors.PartnerCenterError]] = [errors.PartnerCenterError]
    while pending:
        error = pending.pop()
        catalogue.setdefault(error.code, error.default_message)
        pending.extend(error.__subclasses__())
    return catalogue


def language(accept_language: str | None) -> Language:
    """``ko`` when the header ranks Korean above English (RFC 9110 weights), else ``en``."""
    best: tuple[float, int] | None = None
    chosen: Language = "en"
    for position, entry in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = entry.strip().partition(";")
        primary = tag.strip().lower().partition("-")[0]
        if primary not in ("ko", "en"):
            continue
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        if weight <= 0:
            continue
        # Higher weight first; on a tie, the one listed first.
        if best is None or (weight, -position) > best:
            best, chosen = (weight, -position), ("ko" if primary == "ko" else "en")
    return chosen


def message(code: str, english: str, lang: Language) -> str:
    """The text for ``code`` in ``lang``; English is the raise site's own message."""
    if lang == "ko":
        return KOREAN.get(code, english)  # a code without Korean text fails a unit test
    return english
