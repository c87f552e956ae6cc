"""Operators for the integration tests: the operator check (R-SEC-2) asks Cognito about every
operator at every request, so the operators the sample events and the helpers act as exist in
the operators' pool, in privacy-admin, with TOTP enrolled."""

from __future__ import annotations

import os
from typing import Any

import pytest

# cognito:username of the sample events (events/admin-*.json) and of the helpers' claims
# (claims_for names the user by its sub).
TEST_OPERATORS = (
    "operator1",
    "7f3c2a10-0000-4000-8000-00000000a001",
    "5b1d6a3e-0000-4000-8000-00000000a001",
    "op-1",
    "op-privacy-1",
    "op-privacy-2",
)
PASSWORD = "Op9!integration-tests"  # moto only


def operator_pool(stack: Any) -> tuple[str, str]:
    return os.environ["OPERATOR_POOL_ID"], stack.physical_id("OperatorPoolClient")


def enrolled_operator(stack: Any, username: str, password: str = PASSWORD) -> str:
    """An operator in privacy-admin with TOTP enrolled; returns the TOTP secret."""
    from local.operator import create_operator, enrol_totp

    pool_id, client_id = operator_pool(stack)
    cognito = stack.client("cognito-idp")
    create_operator(cognito, pool_id, username, password)
    return enrol_totp(cognito, pool_id, client_id, username, password)


@pytest.fixture(autouse=True)
def _enrolled_test_operators(request: pytest.FixtureRequest) -> None:
    if "aws_stack" not in request.fixturenames:
        return
    stack = request.getfixturevalue("aws_stack")
    for username in TEST_OPERATORS:
        enrolled_operator(stack, username)
