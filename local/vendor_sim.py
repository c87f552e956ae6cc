"""Identity-vendor simulator for the local stack and tests; never deployed.

It speaks the vendors' wire shapes with a real cipher (see vendors.md, "What the simulator must
reproduce"): KMC's sealed ``tr_cert`` → sealed ``certNum``/``apiToken`` posted to ``tr_url`` →
token API returning the sealed 18-field result; PortOne's form → redirect with the id → REST
GET. The person's answers come from ``sim*`` form fields (or ``complete_at_vendor``); beyond
the contract's, ``simGender`` (male|female, default male) and ``simForeigner=1`` are optional,
and without ``simCi`` a stable 88-character CI is derived from name, birth date and phone.

Scenarios (``simScenario``): KMC takes all of ``KMC_SCENARIOS``; PortOne takes
``PORTONE_SCENARIOS``, where ``other_cert_num`` makes the redirect name another request's id.

Choices, where the real vendors leave room:
- KMC's result knows only ``Y``/``N``, so ``fail`` and ``cancel`` both answer ``N``; PortOne's
  ``cancel`` leaves the verification ``READY`` (never completed), ``fail`` makes it ``FAILED``.
- A KMC token is exchangeable once; a second exchange answers ``APR06`` (re-request refused),
  an unknown one ``APR03``, one older than 30 minutes ``APR02``. With ``allow_reexchange=True``
  the simulator is a lenient vendor that answers a second exchange with the same result, as
  some vendors do on retries: tests then prove our own replay guards, not the vendor's.
  (PortOne's REST GET answers every time anyway.)
- ``token_5xx`` / ``token_timeout`` fail only the *first* exchange (or PortOne GET) and consume
  nothing: the vendor then recovers, and the same verification can complete.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from partnercenter.errors import VendorUnavailable, VerificationTampered
from partnercenter.vendors.base import UTC, HttpRequest, HttpResponse, VendorStart
from partnercenter.vendors.kmc import (
    ENCODING,
    EXTEND_VAR,
    MAX_CERT_NUM_BYTES,
    RESULT_FIELDS,
    SITE_KEY,
    kst_stamp,
    parse_kst_stamp,
    seal,
    unseal,
)
from partnercenter.vendors.kmc_cipher import AesGcmKmcCipher

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

OUTCOMES = frozenset({"success", "fail", "cancel"})
KMC_SCENARIOS = frozenset(
    {
        "tampered_mac",
        "other_cert_num",
        "stale_date",
        "apr02",
        "apr03",
        "apr06",
        "token_5xx",
        "token_timeout",
        "minimal",
    }
)
PORTONE_SCENARIOS = frozenset(
    {"other_cert_num", "stale_date", "token_5xx", "token_timeout", "minimal"}
)
_FAULTS = frozenset({"token_5xx", "token_timeout"})
STALE_BY = datetime.timedelta(minutes=31)  # just past both vendors' 30-minute window
TOKEN_LIFETIME = datetime.timedelta(minutes=30)
ADULT_AGE = 19  # Korean civil majority: a minor verifies with a guardian (KMC's M_* fields)

_KMC_EXCHANGE_PATH = "/_sim/kmc/token"
_PORTONE_GET_PATH = re.compile(r"/_sim/portone/identity-verifications/([A-Za-z0-9_-]{1,64})$")
_PORTONE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_API_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclasses.dataclass(frozen=True)
class SimPerson:
    name: str
    phone: str
    birth_date: datetime.date
    ci: str
    gender: str  # "male" / "female"
    foreigner: bool


class SimBadRequest(ValueError):
    """A request the real vendor would refuse; the message names a field, never a value."""


class _SimulatedTimeout(Exception):
    pass


@dataclasses.dataclass
class _KmcToken:
    api_cert_num: str
    rec_cert: str
    scenario: str | None
    issued_at: datetime.datetime
    fault_pending: bool
    exchanged: bool = False


@dataclasses.dataclass
class _PortOneRecord:
    body: dict[str, Any]
    fault: str | None  # a pending token_5xx / token_timeout


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


def _age(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _http_url(value: str | None, field: str) -> str:
    if not value or urlsplit(value).scheme not in ("http", "https"):
        raise SimBadRequest(field)
    return value


class VendorSimulator:
    """KMC and PortOne as one WSGI app, plus an in-process transport for the adapters."""

    def __init__(
        self,
        kmc_cipher_key: bytes,
        kmc_cp_id: str,
        portone_store_id: str,
        portone_api_secret: str,
        *,
        clock: Callable[[], datetime.datetime] = _utc_now,
        timeout_sleep_seconds: float = 2.0,
        allow_reexchange: bool = False,
    ) -> None:
        self._cipher = AesGcmKmcCipher(kmc_cipher_key)
        self._kmc_cp_id = kmc_cp_id
        self._store_id = portone_store_id
        self._api_secret = portone_api_secret
        self._clock = clock
        self._timeout_sleep_seconds = timeout_sleep_seconds
        self._allow_reexchange = allow_reexchange
        self._lock = threading.Lock()  # the local stack serves threads
        self._kmc_tokens: dict[str, _KmcToken] = {}
        self._portone: dict[str, _PortOneRecord] = {}

    # ---- HTTP ----------------------------------------------------------------------------

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The simulator over HTTP; a timeout scenario sleeps, then answers 504."""
        try:
            response = self._route(Request(environ))
        except _SimulatedTimeout:
            time.sleep(self._timeout_sleep_seconds)
            response = _json(504, {"message": "gateway timeout"})
        return response(environ, start_response)

    def transport(self, request: HttpRequest) -> HttpResponse:
        """An adapter ``Transport`` reaching the simulator's server-to-server APIs in process."""
        url = urlsplit(request.url)
        if not (url.path.endswith(_KMC_EXCHANGE_PATH) or _PORTONE_GET_PATH.search(url.path)):
            raise VendorUnavailable()  # as a connection to a host that does not listen
        client = Client(self._raw_app)
        try:
            response = client.open(
                url.path,
                base_url=f"{url.scheme}://{url.netloc}",
                query_string=url.query,
                method=request.method,
                headers=dict(request.headers),
                data=request.body,
            )
        except _SimulatedTimeout:
            raise VendorUnavailable() from None  # what urllib's socket timeout becomes
        return HttpResponse(response.status_code, dict(response.headers), response.get_data())

    def complete_at_vendor(
        self,
        start: VendorStart,
        *,
        name: str,
        phone: str,
        birth_date: datetime.date,
        ci: str,
        outcome: str = "success",
        scenario: str | None = None,
        foreigner: bool = False,
        gender: str = "male",
    ) -> dict[str, str]:
        """The fields the vendor would post to the callback, as if the person went through."""
        person = SimPerson(name, phone, birth_date, ci, gender, foreigner)
        if "tr_cert" in start.form_fields:
            return self._kmc_verify(start.form_fields, person, outcome, scenario)[1]
        return self._portone_verify(start.form_fields, person, outcome, scenario)[1]

    def _raw_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self._route(Request(environ))(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path
        try:
            if request.method == "POST" and path.endswith("/_sim/kmc/request"):
                return self._browser_answer(request, self._kmc_verify)
            if request.method == "POST" and path.endswith(_KMC_EXCHANGE_PATH):
                return _json(*self._kmc_exchange(request.get_data()))
            if request.method == "POST" and path.endswith("/_sim/portone/verify"):
                return self._browser_answer(request, self._portone_verify)
            match = _PORTONE_GET_PATH.search(path)
            if request.method == "GET" and match:
                return _json(
                    *self._portone_get(
                        match.group(1),
                        request.args.get("storeId"),
                        request.headers.get("Authorization"),
                    )
                )
        except SimBadRequest as exc:
            return _json(400, {"message": f"bad or missing field: {exc}"})
        return _json(404, {"message": "no such simulator route"})

    def _browser_answer(
        self,
        request: Request,
        verify: Callable[
            [Mapping[str, str], SimPerson, str, str | None], tuple[str, dict[str, str]]
        ],
    ) -> Response:
        form = request.form.to_dict()
        callback_url, fields = verify(
            form,
            _person(form),
            form.get("simOutcome") or "success",
            form.get("simScenario") or None,
        )
        wanted = request.accept_mimetypes.best_match(["text/html", "application/json"])
        if wanted == "application/json":
            return _json(200, {"callbackUrl": callback_url, "fields": fields})
        return _auto_submit(callback_url, fields)

    # ---- KMC -----------------------------------------------------------------------------

    def _kmc_verify(
        self, form: Mapping[str, str], person: SimPerson, outcome: str, scenario: str | None
    ) -> tuple[str, dict[str, str]]:
        if outcome not in OUTCOMES:
            raise SimBadRequest("simOutcome")
        if scenario is not None and scenario not in KMC_SCENARIOS:
            raise SimBadRequest("simScenario")
        if form.get("tr_ver") != "V2":
            raise SimBadRequest("tr_ver")
        tr_url = _http_url(form.get("tr_url"), "tr_url")
        try:
            tr_cert = unseal(self._cipher, SITE_KEY, form.get("tr_cert", "")).decode(ENCODING)
        except (VerificationTampered, UnicodeDecodeError):
            raise SimBadRequest("tr_cert") from None
        request_fields = tr_cert.split("/")
        if len(request_fields) != 13:
            raise SimBadRequest("tr_cert")
        cp_id, _url_code, cert_num, _date, cert_met = request_fields[:5]
        if cp_id != self._kmc_cp_id:
            raise SimBadRequest("cpId")
        if not cert_num or len(cert_num.encode()) > MAX_CERT_NUM_BYTES or cert_met != "M":
            raise SimBadRequest("tr_cert")

        now = self._clock()
        result_cert_num = (
            kst_stamp(now) + secrets.token_hex(12) if scenario == "other_cert_num" else cert_num
        )
        result = self._kmc_result(
            person, outcome, scenario, result_cert_num, now, plus_info=request_fields[11]
        )
        rec_cert = self._kmc_seal_result(result_cert_num, result, scenario)
        api_token = secrets.token_urlsafe(32)
        with self._lock:
            self._kmc_tokens[api_token] = _KmcToken(
                api_cert_num=result_cert_num,
                rec_cert=rec_cert,
                scenario=scenario,
                issued_at=now,
                fault_pending=scenario in _FAULTS,
            )
        return tr_url, {
            "certNum": seal(self._cipher, cert_num, cert_num.encode("ascii")),
            "apiToken": seal(self._cipher, cert_num, api_token.encode("ascii")),
        }

    def _kmc_result(
        self,
        person: SimPerson,
        outcome: str,
        scenario: str | None,
        cert_num: str,
        now: datetime.datetime,
        *,
        plus_info: str,
    ) -> dict[str, str]:
        result = dict.fromkeys(RESULT_FIELDS, "")
        result.update(
            certNum=cert_num,
            date=kst_stamp(now - STALE_BY if scenario == "stale_date" else now),
            result="Y" if outcome == "success" else "N",
            certMet="M",
            plusInfo=plus_info,
        )
        if outcome != "success":
            return result  # a failed or cancelled attempt carries no identity
        result.update(
            CI=person.ci,
            phoneNo=person.phone,
            phoneCorp="SKT",
            birthDay=person.birth_date.strftime("%Y%m%d"),
            gender="1" if person.gender == "female" else "0",
            nation="1" if person.foreigner else "0",
            name=person.name,
            ip="127.0.0.1",
            DI=hashlib.sha256(f"{self._kmc_cp_id}:{person.ci}".encode()).hexdigest(),
        )
        if _age(person.birth_date, now.date()) < ADULT_AGE:
            guardian_birth = person.birth_date.replace(year=person.birth_date.year - 30, day=1)
            result.update(
                M_name="김보호",
                M_birthDay=guardian_birth.strftime("%Y%m%d"),
                M_Gender="1",
                M_nation="0",
            )
        if scenario == "minimal":  # channels that leave out phone, carrier, gender, nation
            result.update(phoneNo="", phoneCorp="", gender="", nation="", ip="", DI="")
        return result

    def _kmc_seal_result(
        self, cert_num: str, result: Mapping[str, str], scenario: str | None
    ) -> str:
        for field, value in result.items():
            if "/" in value:  # the wire format cannot carry it
                raise SimBadRequest(field)
        try:
            plain = "/".join(result.values()).encode(ENCODING)
        except UnicodeEncodeError:
            raise SimBadRequest("simName") from None
        if scenario != "tampered_mac":
            return seal(self._cipher, cert_num, plain)
        inner = self._cipher.encrypt(cert_num, plain)
        wrong_mac = self._cipher.mac(cert_num, inner + "x")
        return self._cipher.encrypt(cert_num, f"{inner}/{wrong_mac}/{EXTEND_VAR}".encode())

    def _kmc_exchange(self, body: bytes) -> tuple[int, dict[str, str]]:
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return 400, {"message": "body must be a JSON object"}
        with self._lock:
            token = self._kmc_tokens.get(str(request.get("apiToken")))
            if token is not None and token.fault_pending:
                token.fault_pending = False
                if token.scenario == "token_timeout":
                    raise _SimulatedTimeout()
                return 500, {"message": "internal server error"}
            code = self._kmc_result_code(request, token)
            if token is None or code != "APR01":
                return 200, {"result_cd": code, "apiCertNum": "", "apiRecCert": ""}
            token.exchanged = True
            return 200, {
                "result_cd": code,
                "apiCertNum": token.api_cert_num,
                "apiRecCert": token.rec_cert,
            }

    def _kmc_result_code(self, request: Mapping[str, Any], token: _KmcToken | None) -> str:
        if not _is_kmc_date(request.get("apiDate")):
            return "APR04"
        if not _API_TOKEN.fullmatch(str(request.get("apiToken"))):
            return "APR05"
        if token is None:
            return "APR03"
        if token.scenario in ("apr02", "apr03", "apr06"):
            return token.scenario.upper()
        if self._clock() - token.issued_at > TOKEN_LIFETIME:
            return "APR02"
        return "APR06" if token.exchanged and not self._allow_reexchange else "APR01"

    # ---- PortOne -------------------------------------------------------------------------

    def _portone_verify(
        self, form: Mapping[str, str], person: SimPerson, outcome: str, scenario: str | None
    ) -> tuple[str, dict[str, str]]:
        if outcome not in OUTCOMES:
            raise SimBadRequest("simOutcome")
        if scenario is not None and scenario not in PORTONE_SCENARIOS:
            raise SimBadRequest("simScenario")
        if form.get("storeId") != self._store_id:
            raise SimBadRequest("storeId")
        redirect_url = _http_url(form.get("redirectUrl"), "redirectUrl")
        tx_id = form.get("identityVerificationId", "")
        if not _PORTONE_ID.fullmatch(tx_id):
            raise SimBadRequest("identityVerificationId")

        now = self._clock()
        body: dict[str, Any] = {
            "id": tx_id,
            "requestedAt": _iso(now),
            "updatedAt": _iso(now),
            "statusChangedAt": _iso(now),
        }
        if outcome == "cancel":
            body["status"] = "READY"
        elif outcome == "fail":
            body.update(status="FAILED", failure={"reason": "본인인증 실패", "pgCode": "F001"})
        else:
            body.update(
                status="VERIFIED",
                verifiedCustomer=self._portone_customer(person, scenario),
                verifiedAt=_iso(now - STALE_BY if scenario == "stale_date" else now),
                pgTxId=secrets.token_hex(10),
            )
        with self._lock:
            if tx_id in self._portone:  # PortOne refuses to reuse an id
                raise SimBadRequest("identityVerificationId")
            self._portone[tx_id] = _PortOneRecord(body, scenario if scenario in _FAULTS else None)
        returned_id = "iv-" + secrets.token_hex(16) if scenario == "other_cert_num" else tx_id
        return redirect_url, {"identityVerificationId": returned_id}

    @staticmethod
    def _portone_customer(person: SimPerson, scenario: str | None) -> dict[str, Any]:
        customer: dict[str, Any] = {
            "name": person.name,
            "birthDate": person.birth_date.isoformat(),
            "ci": person.ci,
            "di": hashlib.sha256(f"portone:{person.ci}".encode()).hexdigest(),
        }
        if scenario != "minimal":  # channels that leave out phone, carrier, gender, foreigner
            customer.update(
                operator="SKT",
                phoneNumber=person.phone,
                gender=person.gender.upper(),
                isForeigner=person.foreigner,
            )
        return customer

    def _portone_get(
        self, tx_id: str, store_id: str | None, authorization: str | None
    ) -> tuple[int, dict[str, Any]]:
        if authorization != f"PortOne {self._api_secret}":
            return 401, {"type": "UNAUTHORIZED", "message": "invalid API secret"}
        if store_id != self._store_id:
            return 403, {"type": "FORBIDDEN", "message": "store not accessible"}
        with self._lock:
            record = self._portone.get(tx_id)
            if record is None:
                return 404, {"type": "IDENTITY_VERIFICATION_NOT_FOUND", "message": "not found"}
            fault, record.fault = record.fault, None
        if fault == "token_timeout":
            raise _SimulatedTimeout()
        if fault == "token_5xx":
            return 500, {"message": "internal server error"}
        return 200, record.body


def _is_kmc_date(value: object) -> bool:
    try:
        parse_kst_stamp(str(value))
    except ValueError:
        return False
    return True


def _person(form: Mapping[str, str]) -> SimPerson:
    """The simulated person from the ``sim*`` form fields."""
    name, phone, birth = form.get("simName"), form.get("simPhone", ""), form.get("simBirthDate")
    if not name:
        raise SimBadRequest("simName")
    if not birth or len(birth) != 8 or not birth.isdigit():
        raise SimBadRequest("simBirthDate")
    try:
        birth_date = datetime.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        raise SimBadRequest("simBirthDate") from None
    gender = form.get("simGender", "male")
    if gender not in ("male", "female"):
        raise SimBadRequest("simGender")
    # Without simCi, a stable 88-character CI per person, as real CIs are.
    ci = form.get("simCi") or base64.urlsafe_b64encode(
        hashlib.sha512(f"{name}|{birth}|{phone}".encode()).digest()
    ).decode("ascii")
    return SimPerson(name, phone, birth_date, ci, gender, form.get("simForeigner") == "1")


def _json(status: int, payload: Mapping[str, Any]) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status, mimetype="application/json")


def _auto_submit(action: str, fields: Mapping[str, str]) -> Response:
    """The vendor's answer page: a form that posts itself to the callback."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    page = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Identity verification</title>'
        '</head><body onload="document.forms[0].submit()">'
        f'<form method="post" action="{html.escape(action)}">{inputs}'
        '<noscript><button type="submit">Continue</button></noscript></form></body></html>'
    )
    return Response(page, 200, mimetype="text/html")
