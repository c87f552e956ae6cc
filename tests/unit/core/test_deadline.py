"""One deadline for every job that must end inside its invocation."""

from partnercenter.deadline import Deadline
from tests.support import LambdaContext


def test_the_lambdas_remaining_time_less_the_margin() -> None:
    left = iter([30_000, 10_001, 10_000])
    deadline = Deadline(lambda: next(left), 10_000)
    assert [deadline.passed() for _ in range(3)] == [False, False, True]


def test_a_budget_of_its_own_ends_first() -> None:
    now = iter([100.0, 100.0, 119.9, 120.0])  # created at 100 s, a 20 s budget
    deadline = Deadline(lambda: 60_000, 5_000, budget_seconds=20, clock=lambda: next(now))
    assert [deadline.passed() for _ in range(3)] == [False, False, True]


def test_of_a_lambda_context() -> None:
    assert not Deadline.of(LambdaContext(remaining_ms=15_000), margin_seconds=10).passed()
    assert Deadline.of(LambdaContext(remaining_ms=9_000), margin_seconds=10).passed()
