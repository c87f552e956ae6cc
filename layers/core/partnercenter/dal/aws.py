"""AWS clients, created on first use and reused for the container's life (not at import)."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

# Short timeouts: a Lambda waiting on a stuck call is worse than a retried request.
_CLIENT_CONFIG: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 3},
}


@cache
def client(service: str) -> Any:
    """A boto3 client; endpoints come from the standard AWS_ENDPOINT_URL* variables."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(**_CLIENT_CONFIG))  # type: ignore[call-overload]


def prime_client(service: str) -> None:
    """The client, with the operation and paginator models botocore loads on first use
    (SnapStart's priming: nothing is sent)."""
    aws_client = client(service)
    model = aws_client.meta.service_model
    for operation in model.operation_names:
        model.operation_model(operation)
    aws_client.can_paginate(next(iter(aws_client.meta.method_to_api_mapping)))


@lru_cache(maxsize=1)
def secrets_provider() -> SecretsProvider:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=client("secretsmanager"))


def get_secret(secret_id: str) -> str:
    """A secret's string, cached by Powertools Parameters for five minutes."""
    value = secrets_provider().get(secret_id, max_age=300)
    return str(value)


def reset() -> None:
    """Forget every client and cached read (tests start a fresh AWS emulation per test)."""
    from partnercenter.dal.access_records import forget_last_written
    from partnercenter.dal.policy_versions import forget_published

    client.cache_clear()
    secrets_provider.cache_clear()
    forget_published()
    # Its successor would name a record this world does not hold.
    forget_last_written()


def query_all(params: dict[str, Any], *, max_pages: int) -> list[dict[str, Any]]:
    """Every item a DynamoDB query finds, page by page through boto3's paginator (bounded)."""
    from partnercenter.dal.codec import from_item

    pages = client("dynamodb").get_paginator("query").paginate(**params)
    rows: list[dict[str, Any]] = []
    for number, page in enumerate(pages, start=1):
        rows.extend(from_item(item) for item in page.get("Items", []))
        if number >= max_pages:
            break
    return rows
