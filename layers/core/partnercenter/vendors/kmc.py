"""KMC (한국모바일인증) V2: sealed ``tr_cert`` out, sealed token back, server-to-server exchange."""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Mapping
from typing import Any

from partnercenter.errors import (
    PartnerCenterError,
    VendorUnavailable,
    VerificationExpired,
    VerificationFailed,
    VerificationTampered,
    VerificationUsed,
)
from partnercenter.vendors.base import (
    KST,
    UTC,
    HttpRequest,
    Transport,
    VendorStart,
    VerifiedIdentity,
    ensure_fresh,
    json_object,
    require_aware,
    urllib_transport,
)
from partnercenter.vendors.kmc_cipher import KmcCipher

# KMC's samples seal tr_cert with an empty key argument, i.e. the module's site key; the
# result and the values posted back are keyed by certNum.
SITE_KEY = ""
EXTEND_VAR = "0" * 16
DATE_FORMAT = "%Y%m%d%H%M%S"
ENCODING = "euc_kr"
MAX_CERT_NUM_BYTES = 40
RESULT_FIELDS = (
    "certNum", "date", "CI", "phoneNo", "phoneCorp", "birthDay", "gender", "nation", "name",
    "result", "certMet", "ip", "M_name", "M_birthDay", "M_Gender", "M_nation", "plusInfo", "DI",
)  # fmt: skip
_GENDERS = {"0": "male", "1": "female"}
_FOREIGNER = {"0": False, "1": True}

# Token API result codes other than APR01 (ok).
_RESULT_ERRORS: dict[object, type[PartnerCenterError]] = {
    "APR02": VerificationExpired,
    # The token opened and its MAC verified under our certNum, so KMC issued it for this
    # request: "not found" means it was already exchanged (or purged), i.e. a replay.
    "APR03": VerificationUsed,
    # Bad date or token format: our request or KMC's side is at fault, not the person's;
    # answer "retry later" so that nothing changes and the alarm on 503s fires.
    "APR04": VendorUnavailable,
    "APR05": VendorUnavailable,
    "APR06": VerificationUsed,  # too many re-requests of one token
}


def seal(cipher: KmcCipher, cert_num: str, plaintext: bytes) -> str:
    """``Enc( Enc(plain) + "/" + MAC(Enc(plain)) + "/" + extendVar )``, as KMC's module does."""
    inner = cipher.encrypt(cert_num, plaintext)
    envelope = f"{inner}/{cipher.mac(cert_num, inner)}/{EXTEND_VAR}"
    return cipher.encrypt(cert_num, envelope.encode("ascii"))


def unseal(cipher: KmcCipher, cert_num: str, sealed: str) -> bytes:
    """Open a sealed value; VerificationTampered unless both layers and the MAC check out."""
    try:
        envelope = cipher.decrypt(cert_num, sealed).decode("ascii")
    except UnicodeDecodeError:
        raise VerificationTampered() from None
    parts = envelope.split("/")
    if len(parts) != 3 or not cipher.verify_mac(cert_num, parts[0], parts[1]):
        raise VerificationTampered()
    return cipher.decrypt(cert_num, parts[0])


def kst_stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(KST).strftime(DATE_FORMAT)


def parse_kst_stamp(text: str) -> datetime.datetime:
    """A KMC ``yyyyMMddHHmmss`` Korea-time stamp as an aware UTC datetime (ValueError if bad)."""
    if len(text) != 14 or not text.isdigit():
        raise ValueError("bad KMC date")
    return datetime.datetime.strptime(text, DATE_FORMAT).replace(tzinfo=KST).astimezone(UTC)


class KmcVendor:
    """The KMC adapter; the cipher is KMC's module or a stand-in with the same contract."""

    name: str = "kmc"
    window: datetime.timedelta = datetime.timedelta(minutes=30)

    def __init__(
        self,
        *,
        cp_id: str,
        url_code: str,
        cipher: KmcCipher,
        request_url: str,
        token_api_url: str,
        timeout_seconds: float,
        transport: Transport | None = None,
    ) -> None:
        if not cp_id or not url_code or "/" in cp_id + url_code:
            raise ValueError("KMC cpId and urlCode must be non-empty and free of '/'")
        self._cp_id = cp_id
        self._url_code = url_code
        self._cipher = cipher
        self._request_url = request_url
        self._token_api_url = token_api_url
        self._timeout = timeout_seconds
        self._transport = transport or urllib_transport

    def start(
        self, *, verification_id: str, callback_url: str, now: datetime.datetime
    ) -> VendorStart:
        require_aware(now)
        if "/" in verification_id:
            raise ValueError("verification_id must not contain '/'")
        # Time prefix for KMC's support staff, random suffix for uniqueness: 38 bytes.
        cert_num = kst_stamp(now) + secrets.token_hex(12)
        plain = "/".join(
            # cpId/urlCode/certNum/date/certMet, six empty pre-fill fields, plusInfo, extendVar.
            # plusInfo comes back in the result; our id there lets KMC's support correlate.
            [self._cp_id, self._url_code, cert_num, kst_stamp(now), "M"]
            + [""] * 6
            + [verification_id, EXTEND_VAR]
        )
        tr_cert = seal(self._cipher, SITE_KEY, plain.encode(ENCODING))
        fields = {"tr_cert": tr_cert, "tr_url": callback_url, "tr_add": "N", "tr_ver": "V2"}
        return VendorStart(action_url=self._request_url, form_fields=fields, vendor_tx_id=cert_num)

    def complete(
        self, *, vendor_tx_id: str, callback: Mapping[str, str], now: datetime.datetime
    ) -> VerifiedIdentity:
        require_aware(now)
        cert_num = vendor_tx_id
        posted_cert, posted_token = callback.get("certNum"), callback.get("apiToken")
        if not posted_cert or not posted_token:
            raise VerificationTampered()
        # A callback sealed for another request does not even open under our certNum.
        if self._open_text(cert_num, posted_cert) != cert_num:
            raise VerificationTampered()
        answer = self._exchange(self._open_text(cert_num, posted_token), now)
        rec_cert = answer.get("apiRecCert")
        if answer.get("apiCertNum") != cert_num:
            raise VerificationTampered()
        if not isinstance(rec_cert, str):
            raise VendorUnavailable()
        result = self._parse_result(unseal(self._cipher, cert_num, rec_cert))
        if result["certNum"] != cert_num:
            raise VerificationTampered()
        try:
            verified_at = parse_kst_stamp(result["date"])
        except ValueError:
            raise VendorUnavailable() from None
        ensure_fresh(verified_at, now, self.window)
        if result["result"] != "Y":
            # KMC reports failure and cancellation alike as N.
            raise VerificationFailed()
        # The result's ip is not compared with the client's: that breaks behind NAT.
        return self._identity(cert_num, result, verified_at)

    def _open_text(self, cert_num: str, sealed: str) -> str:
        try:
            return unseal(self._cipher, cert_num, sealed).decode("ascii")
        except UnicodeDecodeError:
            raise VerificationTampered() from None

    def _exchange(self, api_token: str, now: datetime.datetime) -> dict[str, Any]:
        body = json.dumps({"apiToken": api_token, "apiDate": kst_stamp(now)}).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        response = self._transport(
            HttpRequest("POST", self._token_api_url, headers, body, self._timeout)
        )
        if not 200 <= response.status < 300:
            raise VendorUnavailable()
        answer = json_object(response)
        code = answer.get("result_cd")
        if code != "APR01":
            raise _RESULT_ERRORS.get(code, VendorUnavailable)()
        return answer

    @staticmethod
    def _parse_result(plaintext: bytes) -> dict[str, str]:
        # The result passed its MAC, so a malformed one is KMC's fault, not a forgery.
        # "from None": decoding errors would quote personal data in the traceback.
        try:
            parts = plaintext.decode(ENCODING).split("/")
        except UnicodeDecodeError:
            raise VendorUnavailable() from None
        if len(parts) != len(RESULT_FIELDS):
            raise VendorUnavailable()
        return dict(zip(RESULT_FIELDS, parts, strict=True))

    def _identity(
        self, cert_num: str, result: Mapping[str, str], verified_at: datetime.datetime
    ) -> VerifiedIdentity:
        birth = result["birthDay"]
        if not result["name"] or not result["CI"] or len(birth) != 8 or not birth.isdigit():
            raise VendorUnavailable()
        try:
            birth_date = datetime.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
        except ValueError:
            raise VendorUnavailable() from None
        return VerifiedIdentity(
            vendor=self.name,
            vendor_tx_id=cert_num,
            name=result["name"],
            phone=result["phoneNo"] or None,
            birth_date=birth_date,
            ci=result["CI"],
            carrier=result["phoneCorp"] or None,
            foreigner=_FOREIGNER.get(result["nation"]),
            gender=_GENDERS.get(result["gender"]),
            verified_at=verified_at,
        )
