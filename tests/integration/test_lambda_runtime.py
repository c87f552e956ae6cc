"""local/lambda_runtime.py: warm workers, one per concurrent call, each with its own env only."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from local.lambda_runtime import FunctionSpec, InvokeResult, LambdaRuntime, RuntimeStopped

HANDLERS = """
import importlib.util
import os
import sys
import time


def env(event, context):
    return {
        "env": dict(os.environ),
        "pid": os.getpid(),
        "sees_repo_packages": importlib.util.find_spec("tests") is not None,
        "first_path": sys.path[0],
        "context": [context.function_name, context.aws_request_id, context.memory_limit_in_mb,
                    context.invoked_function_arn, context.log_group_name],
        "remaining": context.get_remaining_time_in_millis(),
        "event": event,
    }


def crash(event, context):
    raise ValueError(f"name={event['name']} phone={event['phone']}")


def sleep(event, context):
    time.sleep(event["seconds"])
    return os.getpid()


# Marks the start, waits (bounded) for the gate, marks the end: who ran after whom.
def gated(event, context):
    folder = event["dir"]
    done_before = len([n for n in os.listdir(folder) if n.startswith("done-")])
    open(os.path.join(folder, "started-" + context.aws_request_id), "w").close()
    for _ in range(3000):
        if os.path.exists(os.path.join(folder, "open")):
            break
        time.sleep(0.01)
    open(os.path.join(folder, "done-" + context.aws_request_id), "w").close()
    return [os.getpid(), done_before]


def unserializable(event, context):
    return {1, 2}
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> FunctionSpec:
    code = tmp_path_factory.mktemp("function")
    (code / "app.py").write_text(HANDLERS)
    return FunctionSpec(
        name="EnvFunction",
        physical_name="partnercenter-EnvFunction",
        arn="arn:aws:lambda:ap-northeast-2:123456789012:function:partnercenter-EnvFunction",
        code_dir=str(code),
        layer_dirs=(),
        handler_module="app",
        handler_function="env",
        timeout=5,
        memory_size=256,
        environment={
            "ONLY": "this",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/partnercenter-EnvFunction",
        },
    )


@pytest.fixture
def runtime(spec: FunctionSpec) -> Iterator[LambdaRuntime]:
    functions = {
        "EnvFunction": spec,
        "CrashFunction": replace(
            spec, name="CrashFunction", physical_name="c", arn="c", handler_function="crash"
        ),
        "SleepFunction": replace(
            spec,
            name="SleepFunction",
            physical_name="s",
            arn="s",
            handler_function="sleep",
            timeout=1,
        ),
        "GateFunction": replace(
            spec,
            name="GateFunction",
            physical_name="g",
            arn="g",
            handler_function="gated",
            timeout=60,
        ),
        "MarshalFunction": replace(
            spec,
            name="MarshalFunction",
            physical_name="m",
            arn="m",
            handler_function="unserializable",
        ),
        "MissingFunction": replace(
            spec,
            name="MissingFunction",
            physical_name="x",
            arn="x",
            handler_module="no_such_module",
        ),
    }
    runtime = LambdaRuntime(functions, max_workers=2)
    yield runtime
    runtime.shutdown()


def _payload(result: InvokeResult) -> object:
    return json.loads(result.payload)


def test_worker_has_only_its_function_environment_and_a_lambda_context(
    runtime: LambdaRuntime, spec: FunctionSpec
) -> None:
    result = runtime.invoke("EnvFunction", {"hello": "world"}, request_id="req-1")
    assert not result.error
    answer = _payload(result)
    assert isinstance(answer, dict)
    stream = answer["env"].pop("AWS_LAMBDA_LOG_STREAM_NAME")
    assert "[$LATEST]" in stream
    assert answer["env"] == dict(spec.environment)
    assert answer["first_path"] == spec.code_dir
    assert answer["sees_repo_packages"] is False  # the repo is not deployed
    assert answer["context"] == [
        spec.physical_name,
        "req-1",
        "256",
        spec.arn,
        "/aws/lambda/partnercenter-EnvFunction",
    ]
    assert 0 < answer["remaining"] <= 5000
    assert answer["event"] == {"hello": "world"}


def test_warm_worker_is_reused_and_found_by_any_name(
    runtime: LambdaRuntime, spec: FunctionSpec, capfd: pytest.CaptureFixture[str]
) -> None:
    pids = {
        _payload(runtime.invoke(name, {}))["pid"]
        for name in ("EnvFunction", spec.arn, spec.physical_name)
    }
    assert len(pids) == 1
    assert capfd.readouterr().out.count("Init Duration") == 1


def test_handler_exception_is_an_error_result_without_its_message(
    runtime: LambdaRuntime, capfd: pytest.CaptureFixture[str]
) -> None:
    result = runtime.invoke("CrashFunction", {"name": "Hong Gildong", "phone": "01012345678"})
    assert result.error
    error = _payload(result)
    assert isinstance(error, dict)
    assert error["errorType"] == "ValueError"
    assert "Hong" not in error["errorMessage"]
    logged = capfd.readouterr().err
    assert "ValueError" in logged
    assert "crash" in logged  # the stack trace
    assert "Hong Gildong" not in logged
    assert "01012345678" not in logged


def test_unserializable_result_and_missing_module_are_lambda_errors(runtime: LambdaRuntime) -> None:
    marshal = runtime.invoke("MarshalFunction", {})
    assert (marshal.error, _payload(marshal)["errorType"]) == (True, "Runtime.MarshalError")
    for _ in range(2):  # init is retried on the next call, as Lambda does
        missing = runtime.invoke("MissingFunction", {})
        assert (missing.error, _payload(missing)["errorType"]) == (
            True,
            "Runtime.ImportModuleError",
        )


def test_concurrent_calls_get_their_own_workers_up_to_the_limit(
    runtime: LambdaRuntime, tmp_path: Path
) -> None:
    # Ordered by files, not by the clock: the first two calls hold both workers until the
    # test opens the gate, so the third can only start once one of them has finished.
    results: list[InvokeResult] = []
    calls = [
        threading.Thread(
            target=lambda: results.append(runtime.invoke("GateFunction", {"dir": str(tmp_path)}))
        )
        for _ in range(3)
    ]
    for call in calls:
        call.start()
    for _ in range(6000):  # bounded: both workers busy at the gate
        if len(list(tmp_path.glob("started-*"))) >= 2:
            break
        time.sleep(0.01)
    (tmp_path / "open").touch()
    for call in calls:
        call.join(timeout=60)
    assert len(results) == 3
    assert not any(r.error for r in results)
    answers = [_payload(r) for r in results]
    assert len({pid for pid, _ in answers}) == 2  # max_workers
    # Two calls started before anything had finished; the third waited for a free worker.
    assert sorted(done_before >= 1 for _, done_before in answers) == [False, False, True]


def test_timeout_kills_the_worker_and_the_next_call_gets_a_new_one(runtime: LambdaRuntime) -> None:
    first = _payload(runtime.invoke("SleepFunction", {"seconds": 0}))
    timed_out = runtime.invoke("SleepFunction", {"seconds": 10})
    assert (timed_out.error, _payload(timed_out)["errorType"]) == (True, "Sandbox.Timedout")
    assert _payload(runtime.invoke("SleepFunction", {"seconds": 0})) != first


def test_unknown_function_and_shutdown(runtime: LambdaRuntime) -> None:
    with pytest.raises(KeyError):
        runtime.invoke("Nope", {})
    runtime.invoke("EnvFunction", {})
    runtime.shutdown()
    assert multiprocessing.active_children() == []
    with pytest.raises(RuntimeStopped):
        runtime.invoke("EnvFunction", {})
