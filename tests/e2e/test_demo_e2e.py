"""`make demo` over a stack of its own (its purge run a year on would reach other tests'
members): every step answers as the lifecycle expects, and docs/walkthrough.md is exactly the
demo's script."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from local import demo
from local.template import REPO_ROOT
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

# The lifecycle's HTTP steps in order, with the status each must answer.
EXPECTED = [
    ("the current privacy policy", 200),
    ("start an identity verification", 201),
    ("at the vendor (simulated)", 200),
    ("the vendor's return", 200),
    ("sign up", 201),
    ("approve", 200),
    ("my profile (R-RIGHT-1)", 200),
    ("start an identity verification", 201),
    ("at the vendor (simulated)", 200),
    ("the vendor's return", 200),
    ("change the phone", 200),
    ("withdraw", 200),
    ("destruction records", 200),
]


# R-COL-4, R-RIGHT-1, R-RIGHT-2, R-RET-2, R-RET-7: the whole life a newcomer is shown.
def test_demo_runs_the_whole_lifecycle(start_stack: Callable[[], LocalStack]) -> None:
    stack = start_stack()
    endpoints = demo.Endpoints.from_env(
        {
            "PC_API_URL": stack.api_url,
            "PC_AWS_URL": stack.aws_url,
            "PC_LAMBDA_URL": stack.lambda_url,
        }
    )
    out = io.StringIO()
    session = demo.Demo(endpoints, out)
    demo.lifecycle(session)

    http_steps = [(r.title, r.status) for r in session.results if r.expected is not None]
    assert http_steps == EXPECTED, out.getvalue()
    printed = out.getvalue()
    assert printed.count("$ curl -s") == len(EXPECTED)
    assert "lambda invoke --function-name RetentionPurgeFunction" in printed
    # The profile shows the new phone after the change.
    assert f'"phone": "{session.variables["NEW_PHONE"]}"' in printed
    # The walkthrough is the demo's script, word for word.
    walkthrough = (REPO_ROOT / "docs" / "walkthrough.md").read_text("utf-8")
    assert walkthrough == demo.render_walkthrough(session), (
        "docs/walkthrough.md differs from the demo: "
        "run `python -m local.demo --walkthrough docs/walkthrough.md` against `make dev`"
    )
