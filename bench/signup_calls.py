"""AWS calls per request for signup and GET /members/me, counted with botocore event hooks.

In process against moto built from the template (the same as the integration tests), with the
counter the call budgets use (tests/aws_calls.py; the budgets are pinned in tests/functional).
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
import warnings
from collections import Counter
from typing import Any

from bench import REGION, aws_environment
from tests.aws_calls import CallCounter, counting_calls


def _report(label: str, calls: Counter[str], items: int) -> None:
    detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
    print(f"{label:<44} {sum(calls.values()):>3} calls, {items:>2} items read   [{detail}]")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.signup_calls")
    small = bool(os.environ.get("BENCH_SMALL"))
    parser.add_argument(
        "--requests", type=int, default=2 if small else 5, help="warm requests per route"
    )
    args = parser.parse_args(argv)
    aws_environment()

    import boto3
    from moto import mock_aws

    from local.provision import provision
    from local.template import load_template

    with mock_aws():
        model = load_template()
        provisioned = provision(model, region=REGION, seed_vendor_secret=True)
        for function_id in model.functions:
            for key, value in provisioned.function_environment(function_id).items():
                if not key.startswith("AWS_") and key != "POWERTOOLS_SERVICE_NAME":
                    os.environ[key] = value
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # numbers only on the screen
        warnings.filterwarnings("ignore", message="No application metrics")

        from partnercenter.config import get_settings
        from tests.functional.operators import enrol_operators

        get_settings.cache_clear()
        enrol_operators(
            boto3.client("cognito-idp", region_name=REGION),
            os.environ["OPERATOR_POOL_ID"],
            provisioned.physical_id("OperatorPoolClient"),
        )
        with counting_calls(REGION) as counter:
            _run(counter, max(1, args.requests))


def _run(counter: CallCounter, warm_requests: int) -> None:
    from tests.integration.member_steps import Person, decide, signup_body, verified
    from tests.support import api_event, call, claims_for

    def signup(login_id: str, headers: dict[str, str] | None = None) -> str:
        person = Person.new(phone=f"010{uuid.uuid4().int % 10**8:08d}")
        body = signup_body(person, verified(person), login_id)
        event = api_event("signup", body=body, headers=headers)
        measured = counter.measure(lambda: results.append(call("signup", event)))
        assert results[-1].status == 201, results[-1].body
        last.append(measured)
        return str(results[-1].body["memberId"])

    results: list[Any] = []
    last: list[tuple[Counter[str], int]] = []
    print(
        f"AWS calls per request, in process on moto, mean of {warm_requests} warm requests "
        "(secrets cached: one GetSecretValue per secret per container per 5 minutes)"
    )
    signup("bench.first")  # clients and secrets, once per container
    member_ids = [signup(f"bench.warm{i}") for i in range(warm_requests)]
    _report("POST /members (warm)", *_mean(last[-warm_requests:]))
    for i in range(warm_requests):
        signup(f"bench.idem{i}", {"Idempotency-Key": str(uuid.uuid4())})
    _report("POST /members + Idempotency-Key (warm)", *_mean(last[-warm_requests:]))

    for member_id in member_ids:
        assert decide(member_id, "approve").status == 200
    warm_up = call("profile", api_event("get-profile", claims=claims_for(member_ids[0])))
    assert warm_up.status == 200, warm_up.body  # the profile function's container, warmed
    views: list[tuple[Counter[str], int]] = []
    for member_id in member_ids:
        event = api_event("get-profile", claims=claims_for(member_id))

        def view(e: dict[str, Any] = event) -> None:
            results.append(call("profile", e))

        views.append(counter.measure(view))
        assert results[-1].status == 200, results[-1].body
    _report("GET /members/me (warm)", *_mean(views))


def _mean(samples: list[tuple[Counter[str], int]]) -> tuple[Counter[str], int]:
    total: Counter[str] = Counter()
    for calls, _ in samples:
        total.update(calls)
    n = len(samples)
    return (
        Counter({op: round(count / n) for op, count in total.items()}),
        round(sum(items for _, items in samples) / n),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
