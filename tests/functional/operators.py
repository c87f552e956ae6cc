"""Operators for the functional tier and `make bench`: the operator check (R-SEC-2) asks Cognito
about the caller at every request, so the operators the helpers act as exist, with TOTP."""

from __future__ import annotations

from typing import Any

# cognito:username of the sample events' operator and of member_steps.OPERATOR.
OPERATORS = ("operator1", "7f3c2a10-0000-4000-8000-00000000a001")
PASSWORD = "Op9!functional-tests"  # moto only


def enrol_operators(cognito: Any, pool_id: str, client_id: str) -> None:
    from local.operator import create_operator, enrol_totp

    for username in OPERATORS:
        create_operator(cognito, pool_id, username, PASSWORD)
        enrol_totp(cognito, pool_id, client_id, username, PASSWORD)
