"""Operators for the integration tests: the operator check (R-SEC-2) asks Cognito about every
operator at every request, so the operators the sample events and the helpers act as exist in
the operators' pool, in privacy-admin, with TOTP enrolled.

They are enrolled when the test's world first hears of the operators' pool: just before the
first call that names the pool or its client, whoever makes it (the code, a helper, the test).
Every such call sees the same pool as if they had been enrolled before the test began; a test
that never touches the pool does not pay for six TOTP enrolments.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
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


class _OnFirstTouch:
    """Enrols TEST_OPERATORS in the current world's operators' pool before the first call that
    names the pool or its client (botocore's ``before-parameter-build``, any client)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stack: Any = None
        self._names: frozenset[str] = frozenset()
        self._enrolling = False

    def expect(self, stack: Any) -> None:
        with self._lock:
            self._stack = stack
            self._names = frozenset(operator_pool(stack))

    def forget(self) -> None:
        with self._lock:
            self._stack, self._names = None, frozenset()

    def __call__(self, params: Any, **_: Any) -> None:
        if not self._names or not (
            params.get("UserPoolId") in self._names or params.get("ClientId") in self._names
        ):
            return
        with self._lock:  # a rival thread waits until the operators are there
            if self._stack is None or self._enrolling:
                return  # done already, or the enrolment's own calls
            self._enrolling = True
            try:
                from local.iam_check import acting_as

                with acting_as(None):  # test set-up: nobody's role (local/iam_check.py)
                    for username in TEST_OPERATORS:
                        enrolled_operator(self._stack, username)
            finally:
                self._enrolling = False
            self.forget()


_enrolment = _OnFirstTouch()
_EVENT = "before-parameter-build.cognito-idp"


def pytest_configure(config: pytest.Config) -> None:
    """The hook on every botocore session, present and future (as local/iam_check installs)."""
    import boto3
    from botocore import handlers

    if (_EVENT, _enrolment) not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append((_EVENT, _enrolment))
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION.events.register(_EVENT, _enrolment, unique_id="test-operators")


@pytest.fixture(autouse=True)
def _enrolled_test_operators(request: pytest.FixtureRequest) -> Iterator[None]:
    if "aws_stack" not in request.fixturenames:
        yield
        return
    _enrolment.expect(request.getfixturevalue("aws_stack"))
    yield
    _enrolment.forget()
