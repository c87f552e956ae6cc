"""The HTTP edge shared by every API function: one resolver class, one error mapping.

Domain exceptions, Powertools' validation errors and bodies that cannot be decoded all become
the contract's error body ``{"code", "message", "requestId"}`` here and nowhere else. Error
bodies name offending fields, never their values (R-SEC-3).
"""

from __future__ import annotations

import base64
import binascii
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from partnercenter.errors import (
    Forbidden,
    NotFound,
    PartnerCenterError,
    Unauthorized,
    ValidationFailed,
)
from partnercenter.observability import logger

PRIVACY_ADMIN_GROUP = "privacy-admin"
# Ids this API issues are UUIDs; a path value of any other shape is refused before a lookup.
UUID_PATTERN = r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
MemberIdPath = Annotated[str, Path(alias="memberId", min_length=1, max_length=64)]
_BODY_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ApiModel(BaseModel):
    """Base of request and response bodies: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ErrorBody(ApiModel):
    code: str
    message: str
    request_id: str
    fields: list[str] | None = None


def error_response(
    status: int, code: str, message: str, request_id: str, fields: list[str] | None = None
) -> Response[str]:
    body = ErrorBody(code=code, message=message, request_id=request_id, fields=fields or None)
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


def _undecodable_body(event: dict[str, Any]) -> str | None:
    """Why a proxy event's body cannot be read as text, if it cannot (fuzzing found both)."""
    body = event.get("body")
    if not body:
        return None
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        return "multipart"
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "encoding"
    return None


class PartnerCenterResolver(APIGatewayRestResolver):
    """A validating REST resolver whose every failure speaks the contract's error body."""

    def __init__(self) -> None:
        super().__init__(enable_validation=True)
        self.exception_handler(PartnerCenterError)(self._domain_error)
        self.exception_handler(RequestValidationError)(self._validation_error)
        self.exception_handler(RequestUnsupportedContentType)(self._unsupported_content_type)
        self.exception_handler(Exception)(self._unexpected_error)
        self.not_found()(self._not_found)

    # A request that cannot even be decoded never reaches validation (it would raise there).
    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:  # type: ignore[override]
        problem = _undecodable_body(event)
        if problem is None:
            return super().resolve(event, context)
        request_id = str((event.get("requestContext") or {}).get("requestId", ""))
        if problem == "multipart":
            error = error_response(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "Send the body as application/json.",
                request_id,
            )
        else:
            error = error_response(
                422, ValidationFailed.code, "The body must be UTF-8 JSON.", request_id, ["body"]
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

    def _domain_error(self, exc: PartnerCenterError) -> Response[str]:
        logger.info("request refused", extra={"code": exc.code, "status": exc.status})
        return error_response(exc.status, exc.code, exc.message, self.request_id, exc.fields)

    def _validation_error(self, exc: RequestValidationError) -> Response[str]:
        fields = _field_names(list(exc.errors()))
        logger.info("validation failed", extra={"code": ValidationFailed.code, "fields": fields})
        return error_response(
            422, ValidationFailed.code, ValidationFailed.default_message, self.request_id, fields
        )

    def _unsupported_content_type(self, _exc: RequestUnsupportedContentType) -> Response[str]:
        return error_response(
            415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.", self.request_id
        )

    def _unexpected_error(self, exc: Exception) -> Response[str]:
        # The message may hold data (botocore echoes keys), so only the type and frames are logged.
        logger.error(
            "unexpected error",
            extra={
                "errorType": type(exc).__name__,
                "frames": traceback.format_tb(exc.__traceback__),
            },
        )
        return error_response(
            500, "INTERNAL_ERROR", "Something went wrong on our side; retry later.", self.request_id
        )

    def _not_found(self, _exc: Exception) -> Response[str]:
        return error_response(404, NotFound.code, NotFound.default_message, self.request_id)

    # ------------------------------------------------------------------ callers
    def caller(self) -> Caller:
        """Who is calling, from the claims the Cognito authorizer verified and passed on."""
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

    def operator(self) -> Caller:
        """The calling operator, checked now and not only when the token was issued (R-SEC-2):
        still in the group, enrolled in TOTP, not signed out (``partnercenter.operators``)."""
        caller = self.caller()
        if not caller.is_privacy_admin:
            raise Forbidden("This route is for the privacy-admin group only.")
        from partnercenter.operators import confirm_operator

        confirm_operator(caller)
        return caller


@dataclass(frozen=True)
class Caller:
    member_id: str
    groups: tuple[str, ...]
    issued_at: int
    source_ip: str
    # The token's cognito:username (a member's login ID: personal data, so kept out of repr);
    # operators' Cognito checks ask by it.
    username: str = field(default="", repr=False)

    @property
    def is_privacy_admin(self) -> bool:
        return PRIVACY_ADMIN_GROUP in self.groups


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
