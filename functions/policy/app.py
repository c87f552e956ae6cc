"""GET /privacy-policy: the current policy as data (public)."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from partnercenter.api import PartnerCenterResolver
from partnercenter.clock import utc_now
from partnercenter.messages import language
from partnercenter.notices.announcements import privacy_policy_page
from partnercenter.observability import CORRELATION_ID_PATH, logger, metrics, tracer
from partnercenter.snapstart import prime_on_snapshot

app = PartnerCenterResolver()


LangQuery = Annotated[
    Literal["ko", "en"] | None,
    Query(
        description=(
            "ko: the Korean original as `text` beside the document; en: the document (the "
            "English rendering) only. Without it, Accept-Language decides (English by default)."
        )
    ),
]


@app.public_route("GET", "/privacy-policy")
def get_privacy_policy(lang: LangQuery = None) -> dict[str, Any]:
    # The version in effect, the versions announced during their notice period (R-NOT-1), and
    # the running announcements, such as a business transfer's 30 days (R-NOT-2).
    chosen = lang or language(app.current_event.headers.get("Accept-Language"))
    return privacy_policy_page(utc_now(), chosen)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


prime_on_snapshot(app)
