"""The anchoring job (R-SEC-2): hourly anchors of the access chains, and on the 1st the anchor
that closes the month followed by that month's access review."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.audit.anchors import write_anchor
from partnercenter.audit.review import monthly_review
from partnercenter.clock import parse_iso, utc_now
from partnercenter.deadline import Deadline
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.snapstart import prime_on_snapshot

MARGIN_SECONDS = 10.0  # left to store the review and publish metrics


def _review(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The monthly run: the month before the scheduled time (the event's ``time``)."""
    now = utc_now()
    moment = parse_iso(str(event["time"])) if event.get("time") else now
    review = monthly_review(moment, now, Deadline.of(context, margin_seconds=MARGIN_SECONDS).passed)
    # Counts only: the alarmable facts, never whose data was accessed.
    metrics.add_metric("AccessReviewFlaggedActors", MetricUnit.Count, review.flagged_actors)
    metrics.add_metric("AccessChainBroken", MetricUnit.Count, 0 if review.chain_intact else 1)
    logger.info(
        "access review done",
        extra={
            "periodFrom": review.period_from,
            "chainIntact": review.chain_intact,
            "breaks": [b.model_dump() for b in review.breaks],
            "flaggedActors": review.flagged_actors,
            "recordsVerified": review.records_verified,
        },
    )
    return review.model_dump(by_alias=True)


def _anchor() -> dict[str, Any]:
    report = write_anchor(utc_now())
    metrics.add_metric("AccessChainBroken", MetricUnit.Count, 1 if report.breaks else 0)
    breaks = [{"chain": b.chain, "seq": b.seq, "problem": b.problem} for b in report.breaks]
    # Places only (chain, seq): nothing about whose data.
    (logger.error if breaks else logger.info)(
        "access chains anchored",
        extra={"anchor": report.seq, "records": report.records, "breaks": breaks},
    )
    return {"anchor": report.seq, "at": report.at, "records": report.records, "breaks": breaks}


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = event.get("detail")
    if isinstance(detail, dict) and detail.get("review") == "monthly":
        return _review(event, context)  # it anchors first
    return _anchor()


prime_on_snapshot()
