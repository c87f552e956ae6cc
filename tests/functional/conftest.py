"""The functional tier: whole routes in process on moto (the ``aws_stack`` fixture), their AWS
calls counted with botocore event hooks (tests/aws_calls.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.aws_calls import CallCounter, counting_calls
from tests.conftest import REGION
from tests.functional.operators import enrol_operators


@pytest.fixture
def calls(aws_stack: Any) -> Iterator[CallCounter]:
    """A counter on every AWS call the code makes, with the helpers' operators enrolled."""
    enrol_operators(
        aws_stack.client("cognito-idp"),
        os.environ["OPERATOR_POOL_ID"],
        aws_stack.physical_id("OperatorPoolClient"),
    )
    with counting_calls(REGION) as counter:
        yield counter
