"""The function's environment as one validated model, read once per container."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Names of the stack's resources, as template.yaml's Globals hand them to every function."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str = Field("dev", alias="STAGE")
    region: str = Field("ap-northeast-2", alias="AWS_REGION")
    members_table: str = Field(alias="MEMBERS_TABLE")
    data_keys_table: str = Field(alias="DATA_KEYS_TABLE")
    verifications_table: str = Field(alias="VERIFICATIONS_TABLE")
    retained_table: str = Field(alias="RETAINED_TABLE")
    holds_table: str = Field(alias="HOLDS_TABLE")
    destruction_records_table: str = Field(alias="DESTRUCTION_RECORDS_TABLE")
    access_records_table: str = Field(alias="ACCESS_RECORDS_TABLE")
    usage_records_table: str = Field(alias="USAGE_RECORDS_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    members_key_id: str = Field(alias="MEMBERS_KEY_ID")
    retained_key_id: str = Field(alias="RETAINED_KEY_ID")
    lookup_hash_secret: str = Field(alias="LOOKUP_HASH_SECRET")
    access_chain_secret: str = Field(alias="ACCESS_CHAIN_SECRET")
    user_pool_id: str = Field(alias="USER_POOL_ID")
    user_pool_client_id: str = Field(alias="USER_POOL_CLIENT_ID")
    # Members' rights and the privacy officer's duties (R-RIGHT-3/4, R-USE-2, R-NOT-1, R-SEC-2).
    privacy_requests_table: str | None = Field(None, alias="PRIVACY_REQUESTS_TABLE")
    provisions_table: str | None = Field(None, alias="PROVISIONS_TABLE")
    # Unset: no version was ever published, the packaged policy is the current one.
    policy_versions_table: str | None = Field(None, alias="POLICY_VERSIONS_TABLE")
    access_reviews_table: str | None = Field(None, alias="ACCESS_REVIEWS_TABLE")
    access_anchors_table: str | None = Field(None, alias="ACCESS_ANCHORS_TABLE")
    access_review_daily_threshold: int = Field(50, alias="ACCESS_REVIEW_DAILY_THRESHOLD", ge=1)
    # Sanctions (R-COL-5, R-RET-8) and notices to members (R-NOT-1, R-NOT-2, R-SEC-4).
    sanctions_table: str | None = Field(None, alias="SANCTIONS_TABLE")
    notices_table: str | None = Field(None, alias="NOTICES_TABLE")
    notice_deliveries_table: str | None = Field(None, alias="NOTICE_DELIVERIES_TABLE")
    # Only the local stack sets this: lets a scheduled event's `time` act as the clock.
    local_stack: bool = Field(False, alias="PC_LOCAL_STACK")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this container; validated on first use, not at import (cold start)."""
    return Settings.model_validate(dict(os.environ))
