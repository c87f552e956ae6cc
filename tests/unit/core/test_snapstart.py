"""SnapStart: every function primes before its snapshot, and restored copies share no secret.

A fresh interpreter plays Lambda: it imports every handler, runs the before-snapshot hooks as
the runtime does when it publishes a version, then forks copies of itself as SnapStart resumes
environments from one snapshot; each copy runs the after-restore hooks and draws ids and nonces.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.support import CODE_PATH, ROOT, fresh_python

FUNCTION_DIRS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))

_PROBE = r"""
import base64, importlib.util, json, os, random, secrets, socket, sys, uuid
from pathlib import Path

connections = []
def _refuse(self, address):
    connections.append(str(address))
    raise OSError("priming must not reach the network")
socket.socket.connect = _refuse

from partnercenter.config import Settings
for field in Settings.model_fields.values():
    if field.is_required():
        os.environ[field.alias] = "probe-" + field.alias.lower()

import snapshot_restore_py
from partnercenter.crypto import FieldCipher

modules = []
for directory in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location(
        f"functions_{directory}_app", Path("functions") / directory / "app.py"
    )
    modules.append(importlib.util.module_from_spec(spec))
    spec.loader.exec_module(modules[-1])
routes = [
    route
    for module in modules
    if hasattr(module, "app")
    for route in module.app._static_routes + module.app._dynamic_routes
]

before = snapshot_restore_py.get_before_snapshot()
after = snapshot_restore_py.get_after_restore()
primed = [[f.__module__ + "." + f.__name__, f(*a, **k)] for f, a, k in before]
hooks = {
    "before": len(before),
    "after": len(after),
    "primed": primed,
    "connections": connections,
    "routed": [hasattr(module, "app") for module in modules],
    "routes": len(routes),
    "unbuilt_routes": [r.path for r in routes if r._dependant is None],
}
from pydantic import BaseModel
pending, hooks["unbuilt_models"] = [BaseModel], []
while pending:
    model = pending.pop()
    pending.extend(model.__subclasses__())
    if model.__module__.startswith("partnercenter.") and not model.__pydantic_complete__:
        hooks["unbuilt_models"].append(model.__qualname__)

def restored_copy(run_after_restore):
    # One environment resumed from the snapshot: the parent's memory, as the snapshot holds it.
    read, write = os.pipe()
    snapshot = random.getstate()
    pid = os.fork()
    if pid == 0:
        try:
            # CPython reseeds `random` in a forked child; a restored snapshot does not.
            random.setstate(snapshot)
            if run_after_restore:
                for f, a, k in after:
                    f(*a, **k)
            nonce = base64.b64decode(FieldCipher("subject", bytes(32)).seal("field", "v"))[:12]
            drawn = {
                "uuid4": str(uuid.uuid4()),
                "urandom": os.urandom(16).hex(),
                "token": secrets.token_hex(16),
                "nonce": nonce.hex(),
                "random": random.getrandbits(64),
            }
            os.write(write, json.dumps(drawn).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        drawn = json.loads(pipe.read())
    os.waitpid(pid, 0)
    return drawn

hooks["restored"] = [restored_copy(True), restored_copy(True)]
hooks["unrenewed"] = [restored_copy(False), restored_copy(False)]
print(json.dumps(hooks))
"""


def _probe(script: str, *args: str, **lambda_env: str) -> dict[str, Any]:
    """Run ``script`` in a fresh interpreter (an environment of its own): its last line."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": CODE_PATH,
        "AWS_REGION": "ap-northeast-2",
        "AWS_DEFAULT_REGION": "ap-northeast-2",
        "AWS_ACCESS_KEY_ID": "probe",
        "AWS_SECRET_ACCESS_KEY": "probe",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **lambda_env,
    }
    out = fresh_python(["-c", script, *args], env)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def lambda_run() -> dict[str, Any]:
    return _probe(
        _PROBE,
        *FUNCTION_DIRS,
        AWS_LAMBDA_FUNCTION_NAME="probe",
        AWS_LAMBDA_INITIALIZATION_TYPE="snap-start",
    )


def test_every_function_registers_one_priming_and_one_renewal(lambda_run: dict[str, Any]) -> None:
    assert lambda_run["before"] == len(FUNCTION_DIRS) > 0
    assert lambda_run["after"] == len(FUNCTION_DIRS)


def test_priming_warms_every_resolver_without_reaching_the_network(
    lambda_run: dict[str, Any],
) -> None:
    assert {name for name, _ in lambda_run["primed"]} == {"partnercenter.snapstart.prime"}
    # Hooks run in import order. A routed function answers the warm-up request (an unknown
    # route) from the process; a scheduled-only function has no resolver to warm.
    statuses = [status for _, status in lambda_run["primed"]]
    assert statuses == [404 if routed else None for routed in lambda_run["routed"]]
    assert any(lambda_run["routed"])
    assert not all(lambda_run["routed"])
    assert lambda_run["connections"] == []
    # Each route's parameter and body models are built before the snapshot, not on a request.
    assert lambda_run["routes"] > 30
    assert lambda_run["unbuilt_routes"] == []
    # Every body's validator too (models.ApiModel defers it from import to first use).
    assert lambda_run["unbuilt_models"] == []


def test_two_restored_copies_share_no_id_nonce_or_random_draw(lambda_run: dict[str, Any]) -> None:
    first, second = lambda_run["restored"]
    assert first.keys() == second.keys() == {"uuid4", "urandom", "token", "nonce", "random"}
    for drawn in first:
        assert first[drawn] != second[drawn], drawn


def test_without_renewal_restored_copies_draw_the_same_random_numbers(
    lambda_run: dict[str, Any],
) -> None:
    # The fork copies the generator's state as a snapshot does: what renew() exists to undo.
    first, second = lambda_run["unrenewed"]
    assert first["random"] == second["random"]
    assert first["uuid4"] != second["uuid4"]  # the kernel's generator is never shared


_DEFERRED_PROBE = r"""
import importlib.util, json, os, sys
from pathlib import Path

from partnercenter.config import Settings
for field in Settings.model_fields.values():
    if field.is_required():
        os.environ[field.alias] = "probe-" + field.alias.lower()

import snapshot_restore_py
from pydantic import BaseModel

WATCHED = [
    "partnercenter.rights.acts",
    "partnercenter.identity.verified",
    "partnercenter.members.session",
    "partnercenter.usage",
    "cryptography.hazmat.primitives.ciphers.aead",
]

def unbuilt_models():
    found, pending = [], [BaseModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("partnercenter.") and not model.__pydantic_complete__:
            found.append(model.__qualname__)
    return sorted(set(found))

def state():
    loaded = [name for name in WATCHED if name in sys.modules]
    return {"loaded": loaded, "unbuilt": unbuilt_models()}

spec = importlib.util.spec_from_file_location("app", Path("functions") / sys.argv[1] / "app.py")
spec.loader.exec_module(importlib.util.module_from_spec(spec))
at_init = state()
for hook, args, kwargs in snapshot_restore_py.get_before_snapshot():
    hook(*args, **kwargs)
print(json.dumps({"init": at_init, "primed": state()}))
"""


def _deferred_run(function_dir: str) -> dict[str, Any]:
    """One function alone in a fresh interpreter: what its init loaded, then its priming."""
    return _probe(_DEFERRED_PROBE, function_dir)


def test_init_defers_what_no_route_needs_and_priming_loads_what_requests_need() -> None:
    profile = _deferred_run("profile")
    # Init: no cipher library, no verification read, no act on a privacy request
    # (rights.requests is imported for the export's models), body validators not yet built.
    assert profile["init"]["loaded"] == []
    assert len(profile["init"]["unbuilt"]) > 10
    # Priming: what a correction reads, the gate's modules and the cipher a member's request
    # opens data with, every model built; still no act on a request, which no route does.
    assert profile["primed"]["loaded"] == [
        "partnercenter.identity.verified",
        "partnercenter.members.session",
        "partnercenter.usage",
        "cryptography.hazmat.primitives.ciphers.aead",
    ]
    assert profile["primed"]["unbuilt"] == []
    rights = _deferred_run("rights")
    assert "partnercenter.rights.acts" not in rights["init"]["loaded"]
    assert "partnercenter.rights.acts" in rights["primed"]["loaded"]
    assert rights["primed"]["unbuilt"] == []


@pytest.mark.parametrize(
    ("initialization", "expected"),
    [("snap-start", "snap-start"), ("on-demand", "on-demand"), (None, "on-demand")],
)
def test_cold_start_metric_names_how_the_environment_started(
    initialization: str | None,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aws_lambda_powertools.metrics.provider import cold_start

    from partnercenter.observability import INITIALIZATION_TYPE, metrics
    from tests.support import LambdaContext

    if initialization is None:
        monkeypatch.delenv(INITIALIZATION_TYPE, raising=False)
    else:
        monkeypatch.setenv(INITIALIZATION_TYPE, initialization)
    monkeypatch.setattr(cold_start, "is_cold_start", True)

    @metrics.log_metrics(capture_cold_start_metric=True, raise_on_empty_metrics=False)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return event

    handler({}, LambdaContext(function_name="profile"))
    handler({}, LambdaContext(function_name="profile"))  # warm: no second ColdStart
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    cold = [blob for blob in blobs if "ColdStart" in blob]
    assert len(cold) == 1
    assert cold[0]["initialization_type"] == expected
    assert cold[0]["function_name"] == "profile"
    dimensions = cold[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]
    assert "initialization_type" in dimensions
