"""Shared fixtures: a fresh moto world per test, with every resource built from template.yaml."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REGION = "ap-northeast-2"

# `make smoke` runs the smoke tests, and only them (see pytest_collection_modifyitems), against
# the deployed stack AWS_SAM_STACK_NAME names, with the caller's own credentials and region.
SMOKE_STACK_NAME = os.environ.get("AWS_SAM_STACK_NAME", "")
# Otherwise no real AWS, ever: fake credentials and region before anything creates a client.
_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
os.environ.update(
    {
        **({} if SMOKE_STACK_NAME else _FAKE_AWS),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "PartnerCenter",
        "POWERTOOLS_SERVICE_NAME": "tests",
    }
)
for _endpoint in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_endpoint]

TESTS = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    """Every AWS call a handler makes is checked against its function's role
    (local/iam_check.py); the calls of this run, the local stack's workers' included, go to
    one record directory unless the caller names one to add several runs up. Under xdist the
    controller configures first and its workers inherit its environment: one directory still."""
    from local import iam_check

    # The heap is large (botocore's service models, moto's backends) and every world makes
    # hundreds of thousands of short-lived objects: at the default 700 allocations per young
    # collection, the collector's walks took a fifth of a test's time (measured).
    gc.set_threshold(20_000, 10, 10)
    if not os.environ.get(iam_check.RECORD_DIR_ENV):
        os.environ[iam_check.RECORD_DIR_ENV] = tempfile.mkdtemp(prefix="iam-records-")
    iam_check.install()


def _whole_suite(config: pytest.Config) -> bool:
    if hasattr(config, "workerinput"):
        return False  # an xdist worker ran a share of it: the controller reports on the whole
    chosen = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    return (
        chosen <= {TESTS, TESTS.parent} and not config.option.keyword and not config.option.markexpr
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """After the whole suite: every grant no test exercised and nobody justified."""
    from local import iam_check

    if not _whole_suite(config):
        return
    calls = iam_check.read_records(Path(os.environ[iam_check.RECORD_DIR_ENV]))
    text = iam_check.report(iam_check.template_world(), calls)
    out = TESTS.parent / ".aws-sam" / "iam-report.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n", "utf-8")
    terminalreporter.write_sep("-", "IAM: calls against each function's role")
    terminalreporter.write_line(text)


@pytest.fixture(autouse=True)
def _calls_within_roles() -> Iterator[None]:
    """A handler's AWS call that its role would not allow fails the test."""
    from local import iam_check

    iam_check.drain()
    yield
    refused = sorted(
        {(c.function, c.action, c.symbolic, c.via) for c in iam_check.drain() if not c.allowed}
    )
    if refused:
        pytest.fail(
            "AWS calls outside the caller's role (template.yaml):\n"
            + "\n".join(f"  {f}: {a} on {r}" + (f" via {v}" if v else "") for f, a, r, v in refused)
        )


# Files whose tests are long and share nothing costlier than one moto server: under
# `--dist loadfile` (make pytest) their tests still go to whichever worker is free, so that one
# file's ten minutes of kill-and-reconcile runs do not decide the suite's wall time.
SPREAD_OVER_WORKERS = frozenset(
    {
        "tests/integration/test_kill_and_reconcile.py",
        "tests/integration/test_withdrawal.py",
    }
)


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # without xdist (-p no:xdist) unused
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist's loadfile (one file, one worker: its module fixtures start once), except
    for SPREAD_OVER_WORKERS, whose tests are scheduled one by one."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class _LoadFileSpreadingLongFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in SPREAD_OVER_WORKERS else path

    return _LoadFileSpreadingLongFiles(config, log)


def pytest_report_header() -> str | None:
    if SMOKE_STACK_NAME:
        return f"smoke tests only, against the deployed stack {SMOKE_STACK_NAME} (real AWS)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Against a deployed stack only the tests marked smoke run: nothing else reaches AWS."""
    if not SMOKE_STACK_NAME:
        return
    deselected = [item for item in items if item.get_closest_marker("smoke") is None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("smoke") is not None]


@dataclass
class AwsStack:
    """The template's resources inside moto, and the environment the functions get."""

    provisioned: Any

    def env(self, function_id: str) -> dict[str, str]:
        return dict(self.provisioned.function_environment(function_id))

    def physical_id(self, logical_id: str) -> str:
        return str(self.provisioned.physical_id(logical_id))

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION)


@pytest.fixture(scope="session", autouse=True)
def _atomic_moto_writes() -> None:
    """Conditional writes in moto must be as atomic as DynamoDB's (see local/moto_atomicity)."""
    from local.moto_atomicity import make_dynamodb_writes_atomic

    make_dynamodb_writes_atomic()


@pytest.fixture(scope="session", autouse=True)
def _moto_spared_unused_key_material() -> None:
    """Fresh worlds without the RSA keys moto makes and nobody uses (see local/moto_costs)."""
    from local.moto_costs import spare_moto_unused_key_material

    spare_moto_unused_key_material()


@pytest.fixture(scope="session", autouse=True)
def _dynamodb_limits() -> None:
    """DynamoDB's key and transaction limits where moto forgives them (local/dynamodb_limits)."""
    from local.dynamodb_limits import enforce_dynamodb_limits

    enforce_dynamodb_limits()


@pytest.fixture(scope="session")
def template_model() -> Any:
    from local.template import load_template

    return load_template()


def _reset_caches() -> None:
    from partnercenter.config import get_settings
    from partnercenter.dal import aws
    from partnercenter.identity import vendor as identity_vendor

    get_settings.cache_clear()
    aws.reset()
    identity_vendor.reset()


@pytest.fixture
def aws_stack(template_model: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsStack]:
    """moto in process with every table, key, secret and user pool of template.yaml.

    The environment is the union of the functions' template environments (they share the
    Globals; function-specific variables do not clash), so any handler can be called.
    """
    from moto import mock_aws
    from moto.core.config import default_user_config

    from local import iam_check
    from local.provision import provision

    # boto3's default session outlives the world (moto resets every backend all the same): a
    # fresh one per test would read every service model from disk again for the code's clients.
    with mock_aws(config={"core": {**default_user_config["core"], "reset_boto3_session": False}}):
        provisioned = provision(template_model, region=REGION, seed_vendor_secret=True)
        iam_check.activate(iam_check.build_world(provisioned), enforce=False)
        for function_id in template_model.functions:
            for key, value in provisioned.function_environment(function_id).items():
                if not key.startswith("AWS_") and key != "POWERTOOLS_SERVICE_NAME":
                    monkeypatch.setenv(key, value)
        _reset_caches()
        yield AwsStack(provisioned)
    _reset_caches()
