"""The HTTP edge shared by every API function: one resolver class, one error mapping.

Domain exceptions, Powertools' validation errors and bodies that cannot be decoded all become
the contract's error body ``{"code", "message", "requestId"}`` here and nowhere else. Error
bodies name offending fields, never their values (R-SEC-3).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from partnercenter.clock import DATE_TIME_PATTERN
from partnercenter.errors import (
    Forbidden,
    NotFound,
    PartnerCenterError,
    Unauthorized,
    ValidationFailed,
)
from partnercenter.messages import (
    EDGE_ENGLISH,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    Language,
    language,
    message,
)
from partnercenter.models import ApiModel, Caller
from partnercenter.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

    from partnercenter.dal.members import MemberRecord

# Ids this API issues are UUIDs; a path value of any other shape is refused before a lookup.
UUID_PATTERN = r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
MemberIdPath = Annotated[str, Path(alias="memberId", min_length=1, max_length=64)]
# A route that reads its body raw names the model that describes it (for the OpenAPI document).
RAW_BODY_EXTENSION = "x-raw-body-model"
# ``from``/``to`` of range queries: the OpenAPI document says what clock.parse_query_time takes;
# the example is a range the handler accepts (fuzzing starts from it).
_RANGE_TIME = {
    "format": "date-time",
    "description": "RFC 3339, years 1000-9999; from and to at most 366 days apart.",
}
FromQuery = Annotated[
    str,
    Query(
        alias="from",
        pattern=DATE_TIME_PATTERN,
        max_length=40,
        examples=["2026-01-01T00:00:00Z"],
        json_schema_extra=_RANGE_TIME,
    ),
]
ToQuery = Annotated[
    str,
    Query(
        alias="to",
        pattern=DATE_TIME_PATTERN,
        max_length=40,
        examples=["2026-12-31T23:59:59+09:00"],
        json_schema_extra=_RANGE_TIME,
    ),
]
_BODY_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ErrorBody(ApiModel):
    code: str
    message: str
    request_id: str
    fields: list[str] | None = None


def error_response(
    status: int,
    code: str,
    text: str,
    request_id: str,
    fields: list[str] | None = None,
    lang: Language = "en",
) -> Response[str]:
    """The contract's error body; ``text`` is the English message, ``lang`` the client's."""
    body = ErrorBody(
        code=code, message=message(code, text, lang), request_id=request_id, fields=fields or None
    )
    return Response(
        status_code=status,
        content_type="application/json",
        body=body.model_dump_json(by_alias=True, exclude_none=True),
    )


def _field_names(errors: list[Any]) -> list[str]:
    """Dotted names of the offending fields, from pydantic-style error locations."""
    names: list[str] = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        if loc and loc[0] in _BODY_LOCATIONS:
            loc = loc[1:]
        name = ".".join(loc) or "body"
        if name not in names:
            names.append(name)
    return names


# Bounds checked on the raw body before anything parses it: json.loads recurses once per
# nesting level (about 990 levels raise RecursionError), and a body is never larger than the
# biggest request this API takes (a notice to 1,000 members, a 4,000-character summary).
MAX_BODY_BYTES = 128 * 1024
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_WHITESPACE = " \t\n\r"


@dataclass(frozen=True)
class _Refusal:
    status: int
    code: str
    message: str
    fields: list[str] | None = None


_NOT_UTF8 = _Refusal(422, ValidationFailed.code, "The body must be UTF-8 JSON.", ["body"])
_MULTIPART = _Refusal(415, UNSUPPORTED_MEDIA_TYPE, EDGE_ENGLISH[UNSUPPORTED_MEDIA_TYPE])
_TOO_LARGE = _Refusal(413, PAYLOAD_TOO_LARGE, f"The body must not exceed {MAX_BODY_BYTES} bytes.")
_TOO_DEEP = _Refusal(
    422,
    ValidationFailed.code,
    f"The body must not nest objects and arrays more than {MAX_JSON_DEPTH} deep.",
    ["body"],
)
_NOT_AN_OBJECT = _Refusal(422, ValidationFailed.code, "The body must be a JSON object.", ["body"])


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def _with_normalized_content_type(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its media type in lower case (RFC 9110: it is case-insensitive), so
    that ``APPLICATION/JSON; charset=UTF-8`` is JSON to the stock resolver too."""
    changed = dict(event)
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if not isinstance(headers, dict):
            continue
        normalized = dict(headers)
        for name, value in headers.items():
            if str(name).lower() != "content-type":
                continue
            values = value if isinstance(value, list) else [value]
            lowered = [
                _media_type(str(v)) + (";" + str(v).partition(";")[2] if ";" in str(v) else "")
                for v in values
            ]
            normalized[name] = lowered if isinstance(value, list) else lowered[0]
        changed[key] = normalized
    return changed


def _json_too_deep(text: str) -> bool:
    """Whether objects and arrays nest deeper than ``MAX_JSON_DEPTH`` (strings skipped)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for char in _JSON_STRING.sub("", text):
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _refused_body(event: dict[str, Any]) -> _Refusal | None:
    """Why a proxy event's body is refused before any parsing, if it is (fuzzing found all)."""
    body = event.get("body")
    if not body or not isinstance(body, str):
        return None
    if len(body) > MAX_BODY_BYTES * 4 // 3 + 4:  # even as base64 it cannot fit
        return _TOO_LARGE
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    media_type = _media_type(headers.get("content-type", ""))
    if media_type.startswith("multipart/"):
        return _MULTIPART
    if event.get("isBase64Encoded"):
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _NOT_UTF8
    else:
        text = body
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        return _TOO_LARGE
    return _refused_json(text) if media_type in ("", "application/json") else None


def _refused_json(text: str) -> _Refusal | None:
    if _json_too_deep(text):
        return _TOO_DEEP
    # Every JSON body of this API is an object; the stock resolver would take the first
    # element of an array for the model (``[null, null]`` was an empty withdrawal request).
    stripped = text.lstrip(_JSON_WHITESPACE)
    if stripped and not stripped.startswith("{"):
        return _NOT_AN_OBJECT
    return None


GateKind = Literal["public", "member", "operator"]
_CALLER, _MEMBER = "gate_caller", "gate_member"  # what the gate hands on, in app.context


@dataclass(frozen=True)
class Gate:
    """What a route requires before its handler runs, declared once with the route."""

    kind: GateKind
    # member: refused with 403 MEMBER_SUSPENDED during a suspension (R-COL-5) unless True.
    allow_suspended: bool = False
    # member: refused with 403 POLICY_CONSENT_REQUIRED until the policy in effect is agreed
    # (R-NOT-1) unless False.
    policy_consent: bool = True
    # member: once the member is gone (withdrawn) or signed out, the handler still runs, with
    # no member, so that it can answer a repeat again (withdrawal's idempotency).
    repeat_after_end: bool = False
    # operator: the account is checked now, not only at sign-in (R-SEC-2); False only where
    # the route can only take access away (sign-out).
    confirm_operator: bool = True
    # member: the route opens the member's personal data, so the gate reads their data key
    # with the member (one round trip, members/vault.py).
    opens_personal_data: bool = False


def _template_path(rule: str) -> str:
    """``/admin/members/<memberId>`` as template.yaml writes it: ``/admin/members/{memberId}``."""
    return re.sub(r"<(\w+)>", r"{\1}", rule)


def record_usage(app: PartnerCenterResolver, next_middleware: NextMiddleware) -> Response[str]:
    """Every member route leaves a usage record (R-COL-5), refused requests too: it runs
    around the gate (``partnercenter.usage``)."""
    from partnercenter.usage import record_usage as record

    return record(app, next_middleware)


def member_gate(app: PartnerCenterResolver, next_middleware: NextMiddleware) -> Response[str]:
    """The calling member, loaded once and checked as the route declared, handed to the handler
    (``app.member()``): the domain never reads the member again."""
    from partnercenter.members.session import current_member, current_member_with_data_key
    from partnercenter.members.vault import data_key_read_with_member

    gate = app.gate()
    caller = app.caller()
    data_key = None
    try:
        if gate.opens_personal_data:
            member, data_key = current_member_with_data_key(
                caller,
                require_policy_consent=gate.policy_consent,
                allow_suspended=gate.allow_suspended,
            )
        else:
            member = current_member(
                caller,
                require_policy_consent=gate.policy_consent,
                allow_suspended=gate.allow_suspended,
            )
    except Unauthorized:
        if not gate.repeat_after_end:
            raise
        member = None
    app.context.update({_CALLER: caller, _MEMBER: member})
    with data_key_read_with_member(data_key):
        response: Response[str] = next_middleware(app)
    return response


def operator_gate(app: PartnerCenterResolver, next_middleware: NextMiddleware) -> Response[str]:
    """The calling operator, checked now and not only when the token was issued (R-SEC-2):
    still in the group, enrolled in TOTP, not signed out (``partnercenter.operators``)."""
    caller = app.caller()
    if not caller.is_privacy_admin:
        raise Forbidden("This route is for the privacy-admin group only.")
    from partnercenter.operators import confirm_operator

    confirm_operator(caller)
    app.context[_CALLER] = caller
    response: Response[str] = next_middleware(app)
    return response


class PartnerCenterResolver(APIGatewayRestResolver):
    """A validating REST resolver whose every failure speaks the contract's error body."""

    def __init__(self) -> None:
        super().__init__(enable_validation=True)
        self.exception_handler(PartnerCenterError)(self._domain_error)
        self.exception_handler(RequestValidationError)(self._validation_error)
        self.exception_handler(RequestUnsupportedContentType)(self._unsupported_content_type)
        self.exception_handler(Exception)(self._unexpected_error)
        self.not_found()(self._not_found)
        # (METHOD, template path) -> the route's gate: the routes' access rules as data, read
        # by the authorization matrix test.
        self.gates: dict[tuple[str, str], Gate] = {}

    # A body that cannot be decoded, or is too large or deep to parse safely, never reaches
    # validation (it would raise there).
    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:  # type: ignore[override]
        refusal = _refused_body(event)
        if refusal is None:
            return super().resolve(_with_normalized_content_type(event), context)
        request_id = str((event.get("requestContext") or {}).get("requestId", ""))
        logger.info("body refused", extra={"code": refusal.code, "status": refusal.status})
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        error = error_response(
            refusal.status,
            refusal.code,
            refusal.message,
            request_id,
            refusal.fields,
            language(headers.get("accept-language")),
        )
        return {
            "statusCode": error.status_code,
            "headers": {"Content-Type": "application/json"},
            "body": error.body,
            "isBase64Encoded": False,
        }

    def resolve_or_run(
        self,
        event: dict[str, Any],
        context: Any,
        scheduled: Callable[[dict[str, Any], Any], dict[str, Any]],
    ) -> dict[str, Any]:
        """For a function that serves routes and a schedule: API Gateway's proxy events go to
        the routes, the schedule's event to ``scheduled``."""
        if "httpMethod" in event:
            return self.resolve(event, context)
        return scheduled(event, context)

    @property
    def request_id(self) -> str:
        return str(self.current_event.request_context.request_id or "")

    def _error(
        self, status: int, code: str, text: str, fields: list[str] | None = None
    ) -> Response[str]:
        """The error body in the language the request's Accept-Language prefers."""
        header = self.current_event.headers.get("Accept-Language")  # case-insensitive
        return error_response(status, code, text, self.request_id, fields, language(header))

    def _domain_error(self, exc: PartnerCenterError) -> Response[str]:
        logger.info("request refused", extra={"code": exc.code, "status": exc.status})
        return self._error(exc.status, exc.code, exc.message, exc.fields)

    def _validation_error(self, exc: RequestValidationError) -> Response[str]:
        fields = _field_names(list(exc.errors()))
        logger.info("validation failed", extra={"code": ValidationFailed.code, "fields": fields})
        return self._error(422, ValidationFailed.code, ValidationFailed.default_message, fields)

    def _unsupported_content_type(self, _exc: RequestUnsupportedContentType) -> Response[str]:
        return self._error(415, UNSUPPORTED_MEDIA_TYPE, EDGE_ENGLISH[UNSUPPORTED_MEDIA_TYPE])

    def _unexpected_error(self, exc: Exception) -> Response[str]:
        # The message may hold data (botocore echoes keys), so only the type and frames are logged.
        logger.error(
            "unexpected error",
            extra={
                "errorType": type(exc).__name__,
                "frames": traceback.format_tb(exc.__traceback__),
            },
        )
        return self._error(500, PartnerCenterError.code, PartnerCenterError.default_message)

    def _not_found(self, _exc: Exception) -> Response[str]:
        return self._error(404, NotFound.code, NotFound.default_message)

    # ------------------------------------------------------------------ gates
    def public_route(
        self, method: str, path: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A route anyone may call (no authorizer in template.yaml)."""
        return self._gated(method, path, Gate("public"), [], options)

    def member_route(
        self,
        method: str,
        path: str,
        *,
        allow_suspended: bool = False,
        policy_consent: bool = True,
        repeat_after_end: bool = False,
        opens_personal_data: bool = False,
        **options: Any,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A route of the calling member (members' pool): usage recorded, then the member
        loaded and checked as declared (see ``Gate``) before the handler runs."""
        gate = Gate(
            "member",
            allow_suspended,
            policy_consent,
            repeat_after_end,
            opens_personal_data=opens_personal_data,
        )
        return self._gated(method, path, gate, [record_usage, member_gate], options)

    def operator_route(
        self, method: str, path: str, *, confirm_operator: bool = True, **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A privacy-admin route (operators' pool): the operator confirmed before the handler."""
        gate = Gate("operator", confirm_operator=confirm_operator)
        # Unconfirmed, the handler takes the caller from the claims (operators' pool only).
        return self._gated(method, path, gate, [operator_gate] if confirm_operator else [], options)

    def _gated(
        self,
        method: str,
        path: str,
        gate: Gate,
        middlewares: list[Callable[..., Any]],
        options: dict[str, Any],
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        self.gates[(method.upper(), _template_path(path))] = gate
        return self.route(path, method.upper(), middlewares=middlewares, **options)

    def gate(self) -> Gate:
        """The gate the current route declared."""
        route = self.context["_route"]
        return self.gates[(route.method, _template_path(route.path))]

    # ------------------------------------------------------------------ callers
    def caller(self) -> Caller:
        """Who is calling: the gate's caller, or from the claims the Cognito authorizer verified
        and passed on."""
        gated: Caller | None = self.context.get(_CALLER)
        if gated is not None:
            return gated
        claims = self.current_event.request_context.authorizer.claims or {}
        sub = claims.get("sub")
        if not sub:
            raise Unauthorized()
        return Caller(
            member_id=str(sub),
            groups=_parse_groups(claims.get("cognito:groups")),
            issued_at=_issued_at(claims),
            source_ip=str(self.current_event.request_context.identity.source_ip or ""),
            username=str(claims.get("cognito:username") or ""),
        )

    def member(self) -> MemberRecord:
        """The member the route's gate loaded and checked (member routes only)."""
        member = self.member_or_none()
        if member is None:
            raise LookupError("not a member route, or one declared repeat_after_end")
        return member

    def member_or_none(self) -> MemberRecord | None:
        """The member the gate loaded; None on a ``repeat_after_end`` route once it ended."""
        if _MEMBER not in self.context:
            raise LookupError("not a member route")
        member: MemberRecord | None = self.context[_MEMBER]
        return member


def _issued_at(claims: dict[str, Any]) -> int:
    """When the token was issued, in epoch seconds; 0 if the claims don't say.

    API Gateway REST renders ``iat`` as a date (``Sun Mar 28 13:40:42 UTC 2021``); other
    front ends pass the number. ``auth_time`` (the sign-in) is the fallback.
    """
    for name in ("iat", "auth_time"):
        raw = str(claims.get(name) or "").strip()
        if raw.isdigit():
            return int(raw)
        try:
            return int(
                datetime.strptime(raw, "%a %b %d %H:%M:%S %Z %Y").replace(tzinfo=UTC).timestamp()
            )
        except ValueError:
            continue
    return 0


def _parse_groups(raw: object) -> tuple[str, ...]:
    """API Gateway flattens the groups claim to a string such as ``[a b]``; accept any form."""
    if raw is None:
        return ()
    if isinstance(raw, list | tuple):
        return tuple(str(g) for g in raw)
    text = str(raw).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return tuple(str(g) for g in parsed)
        except json.JSONDecodeError:
            text = text.strip("[]")
    return tuple(part for part in text.replace(",", " ").split() if part)
