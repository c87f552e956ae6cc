"""Usage records (R-COL-5): every authenticated member request leaves time, route and source IP.

Kept 90 days (R-RET-8): DynamoDB TTL expires them, and the purge deletes any TTL left behind.
Written for every member route (``api.member_route``), with the request's first access record
when it has one (audit.access_records), else alone as the request ends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from partnercenter.clock import iso_micro, utc_now
from partnercenter.dal import usage_records
from partnercenter.dal.usage_records import UsageRecord

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

USAGE_RETENTION = timedelta(days=90)


def record_usage(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[str]:
    """Every request is recorded, served or refused: with the request's first access record in
    one write when the route reads personal data (one round trip for both), else alone when
    the route ends, before the answer leaves."""
    event = app.current_event
    claims = event.request_context.authorizer.claims or {}
    member_id = claims.get("sub")
    if member_id:
        now = utc_now()
        usage_records.defer(
            UsageRecord(
                member_id=str(member_id),
                at=f"{iso_micro(now)}#{event.request_context.request_id or ''}",
                route=f"{event.http_method} {event.resource}",
                source_ip=str(event.request_context.identity.source_ip or ""),
                expires_at_epoch=int((now + USAGE_RETENTION).timestamp()),
            )
        )
    try:
        response: Response[str] = next_middleware(app)
    finally:
        unwritten = usage_records.take_deferred()
        if unwritten is not None:
            usage_records.put(unwritten)
    return response
