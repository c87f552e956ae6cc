"""Runs the template's handlers the way Lambda runs them: one warm worker per concurrent call.

Each function gets up to ``PC_MAX_WORKERS`` worker processes (spawned lazily, like Lambda
execution environments). A worker starts with only its function's environment, imports the
handler once (the cold start) and then serves invocations over a pipe until it is stopped.
This module stays light at import time: workers import it before they import the handler.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from local.iam_check import World
    from local.provision import Provisioned

DEFAULT_MAX_WORKERS = 4
# Lambda allows 10 s for init; a busy developer machine spawning several workers gets slack.
_INIT_TIMEOUT_SECONDS = 30.0
_STOP_TIMEOUT_SECONDS = 2.0
_REPO_ROOT = Path(__file__).resolve().parent.parent
# Lambda's synchronous invocation quotas: 6 MB each way, measured in bytes of JSON. Lambda
# refuses a request over 6,291,456 bytes and fails a response over 6,291,556 (6 MiB + 100).
MAX_REQUEST_BYTES = 6 * 1024 * 1024
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
_HANDLER_ERROR_MESSAGE = "The handler raised an exception; the stack trace is in the stack's log."
_INIT_ERROR_MESSAGE = "The handler failed to initialise; the stack trace is in the stack's log."


@dataclass(frozen=True)
class FunctionSpec:
    """All a worker needs to run one function; picklable for the spawn start method."""

    name: str  # the template's logical id
    physical_name: str
    arn: str
    code_dir: str
    layer_dirs: tuple[str, ...]
    handler_module: str
    handler_function: str
    timeout: int
    memory_size: int
    environment: Mapping[str, str]
    # The stack and every role, resolved (local/iam_check.py): calls outside the function's
    # role are refused as AWS refuses them. None: nothing is checked.
    iam_world: World | None = None


@dataclass(frozen=True)
class InvokeResult:
    """The function's JSON payload; ``error`` when it is Lambda's error object (Unhandled)."""

    payload: bytes
    error: bool


class Throttled(Exception):
    """No worker of the function became free in time (Lambda: TooManyRequestsException)."""


class RequestTooLarge(Exception):
    """The event is over Lambda's synchronous payload quota (RequestEntityTooLargeException)."""

    message = (
        f"Request must be smaller than {MAX_REQUEST_BYTES} bytes for the InvokeFunction operation"
    )


class WaitExceeded(Exception):
    """The caller stopped waiting before the function answered or timed out (API Gateway's
    integration timeout); the worker is ended."""


class RuntimeStopped(Exception):
    """The runtime is shutting down."""


def function_specs(
    provisioned: Provisioned, *, aws_endpoint_url: str, region: str
) -> dict[str, FunctionSpec]:
    """Each function of the template with the environment a Lambda container would have."""
    from local.iam_check import RECORD_DIR_ENV, build_world

    world = build_world(provisioned)
    record_dir = {k: v for k, v in os.environ.items() if k == RECORD_DIR_ENV}
    specs = {}
    for name, function in provisioned.model.functions.items():
        physical_name = provisioned.physical_id(name)
        env = {
            # What every Lambda python3.13 container has, plus what points boto3 at moto.
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(function.code_dir),
            "_HANDLER": f"{function.handler_module}.{function.handler_function}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime or 'python3.13'}",
            # SnapStart: every environment is resumed from the version's snapshot.
            "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
            "AWS_LAMBDA_FUNCTION_NAME": physical_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{physical_name}",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # nosec B105 - moto accepts any credentials
            "AWS_SESSION_TOKEN": "testing",  # nosec B105 - moto accepts any credentials
            "AWS_ENDPOINT_URL": aws_endpoint_url,
            # As `sam local` does: Powertools then skips X-Ray, which has no daemon here.
            "AWS_SAM_LOCAL": "true",
            "PC_LOCAL_STACK": "1",
            **record_dir,
            **provisioned.function_environment(name),
        }
        specs[name] = FunctionSpec(
            name=name,
            physical_name=physical_name,
            arn=str(provisioned.attribute(name, "Arn")),
            code_dir=str(function.code_dir),
            layer_dirs=tuple(str(d) for d in function.layer_dirs),
            handler_module=function.handler_module,
            handler_function=function.handler_function,
            timeout=function.timeout,
            memory_size=function.memory_size,
            environment=env,
            iam_world=world,
        )
    return specs


# ---------------------------------------------------------------------------- worker side
class LambdaContext:
    """The context object Lambda's Python runtime passes to handlers."""

    def __init__(self, spec: FunctionSpec, request_id: str, deadline: float) -> None:
        self.function_name = spec.physical_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        # The Python runtime reads it from the environment, so it is a string there too.
        self.memory_limit_in_mb = str(spec.memory_size)
        self.aws_request_id = request_id
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _log_exception(exc: BaseException) -> None:
    """Type and frames only: an exception's message may carry personal data."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    print(f"[ERROR] {type(exc).__name__} (message withheld)\n{frames}", file=sys.stderr)


def _installed_or_outside_repo(sys_path_entry: str) -> bool:
    path = Path(sys_path_entry or ".").resolve()
    return "site-packages" in path.parts or not path.is_relative_to(_REPO_ROOT)


def _worker_main(conn: Connection, spec: FunctionSpec, environment: Mapping[str, str]) -> None:
    """A Lambda execution environment: init once, then serve invocations until stopped."""
    # Ctrl-C reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(environment)
    if spec.iam_world is not None:  # before the handler creates any boto3 client
        from local import iam_check

        iam_check.install()
        iam_check.activate(spec.iam_world, enforce=True, keep=False)
        iam_check.act_as(spec.name)
    # Only the function's code, its layers and installed packages: the repo is not deployed.
    sys.path[:] = [
        spec.code_dir,
        *spec.layer_dirs,
        *(entry for entry in sys.path if _installed_or_outside_repo(entry)),
    ]
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):  # logs reach the stack's output line by line
            stream.reconfigure(line_buffering=True)
    init_started = time.monotonic()
    try:
        handler = getattr(importlib.import_module(spec.handler_module), spec.handler_function)
        _snapshot_and_restore()
    except Exception as exc:
        _log_exception(exc)
        error_type = (
            "Runtime.ImportModuleError" if isinstance(exc, ImportError) else type(exc).__name__
        )
        conn.send(("init_error", _error(error_type, _INIT_ERROR_MESSAGE)))
        return
    conn.send(("ready", None))
    init_ms: float | None = (time.monotonic() - init_started) * 1000
    while True:  # ends when the parent stops the worker or goes away (EOF)
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        request_id, event_json = message
        payload, error = _invoke(handler, spec, request_id, event_json, init_ms)
        init_ms = None
        conn.send((payload, error))


def _snapshot_and_restore() -> None:
    """SnapStart, as Lambda runs it for a published version: the function's hooks before the
    snapshot, then those after a restore (``partnercenter.snapstart``)."""
    import snapshot_restore_py

    for hook, args, kwargs in snapshot_restore_py.get_before_snapshot():
        hook(*args, **kwargs)
    for hook, args, kwargs in snapshot_restore_py.get_after_restore():
        hook(*args, **kwargs)


def _invoke(
    handler: Any, spec: FunctionSpec, request_id: str, event_json: bytes, init_ms: float | None
) -> tuple[bytes, bool]:
    started = time.time()
    print(f"START RequestId: {request_id} Version: $LATEST")
    context = LambdaContext(spec, request_id, started + spec.timeout)
    try:
        result = handler(json.loads(event_json), context)
    except Exception as exc:
        _log_exception(exc)
        payload, error = _error(type(exc).__name__, _HANDLER_ERROR_MESSAGE), True
    else:
        try:
            payload, error = json.dumps(result).encode(), False
        except (TypeError, ValueError):
            message = "Unable to marshal response: the result is not JSON serializable"
            payload, error = _error("Runtime.MarshalError", message), True
    duration = (time.time() - started) * 1000
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    init = f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else ""
    print(f"END RequestId: {request_id}")
    print(
        f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
        f"Memory Size: {spec.memory_size} MB\tMax Memory Used: {max_rss_mb} MB{init}"
    )
    return payload, error


# ---------------------------------------------------------------------------- parent side
class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn

    def stop(self) -> None:
        """Ask politely, then terminate, then kill: bounded at each step."""
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(_STOP_TIMEOUT_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(_STOP_TIMEOUT_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(_STOP_TIMEOUT_SECONDS)
        self.conn.close()


class _InitFailed(Exception):
    def __init__(self, payload: bytes) -> None:
        super().__init__("init failed")
        self.payload = payload


class _FunctionPool:
    """Warm workers of one function: idle ones are reused, at most ``max_workers`` exist."""

    def __init__(self, spec: FunctionSpec, max_workers: int) -> None:
        self.spec = spec
        self._max_workers = max_workers
        self._context = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._reserved = 0  # workers being spawned
        self._closed = False

    def invoke(
        self, event_json: bytes, request_id: str, wait_seconds: float | None = None
    ) -> InvokeResult:
        try:
            worker = self._acquire(deadline=time.monotonic() + self.spec.timeout)
        except _InitFailed as failed:
            return InvokeResult(failed.payload, error=True)
        healthy = False
        # Lambda's timeout, plus a little for the pipe; then the sandbox is killed. A caller
        # that gives up sooner (API Gateway's 29 s) ends the worker too.
        timeout = self.spec.timeout + 1
        wait = timeout if wait_seconds is None else min(timeout, wait_seconds)
        try:
            worker.conn.send((request_id, event_json))
            if worker.conn.poll(wait):
                payload, error = worker.conn.recv()
                healthy = True
                if len(payload) > MAX_RESPONSE_BYTES:
                    message = (
                        "Response payload size exceeded maximum allowed payload size "
                        f"({MAX_RESPONSE_BYTES} bytes)."
                    )
                    return InvokeResult(_error("Function.ResponseSizeTooLarge", message), True)
                return InvokeResult(payload, error)
            if wait < timeout:
                raise WaitExceeded(self.spec.name)
            message = f"RequestId: {request_id} Error: Task timed out after {self.spec.timeout} s"
            return InvokeResult(_error("Sandbox.Timedout", message), error=True)
        except (EOFError, OSError):
            message = f"RequestId: {request_id} Error: Runtime exited unexpectedly"
            return InvokeResult(_error("Runtime.ExitError", message), error=True)
        finally:
            self._release(worker, healthy)

    def _acquire(self, deadline: float) -> _Worker:
        with self._cond:
            while not self._closed:
                if self._idle:
                    return self._idle.pop()  # the most recently used: warmest
                if len(self._all) + self._reserved < self._max_workers:
                    self._reserved += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Throttled(self.spec.name)
                self._cond.wait(remaining)
            else:
                raise RuntimeStopped
        try:
            worker = self._spawn()
        finally:
            with self._cond:
                self._reserved -= 1
                self._cond.notify()
        return worker

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._context.Pipe()
        environment = {
            **self.spec.environment,
            "AWS_LAMBDA_LOG_STREAM_NAME": (
                f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
            ),
        }
        process = self._context.Process(
            target=_worker_main,
            args=(child_conn, self.spec, environment),
            name=f"lambda-{self.spec.name}",
            daemon=True,  # dies with the stack even if shutdown() is never reached
        )
        process.start()
        child_conn.close()
        worker = _Worker(process, parent_conn)
        status: Any = ("init_error", _error("Runtime.Unknown", "The worker did not start."))
        with contextlib.suppress(EOFError, OSError):
            if parent_conn.poll(_INIT_TIMEOUT_SECONDS):
                status = parent_conn.recv()
        if status[0] != "ready":
            worker.stop()
            raise _InitFailed(status[1])
        with self._cond:
            if self._closed:
                worker.stop()
                raise RuntimeStopped
            self._all.add(worker)
        return worker

    def _release(self, worker: _Worker, healthy: bool) -> None:
        with self._cond:
            keep = healthy and not self._closed
            if keep:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
            self._cond.notify()
        if not keep:
            worker.stop()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.stop()


class LambdaRuntime:
    """Invokes the template's functions by logical id, physical name or ARN."""

    def __init__(self, specs: Mapping[str, FunctionSpec], *, max_workers: int | None = None):
        limit = max_workers or int(os.environ.get("PC_MAX_WORKERS", DEFAULT_MAX_WORKERS))
        self._pools = {name: _FunctionPool(spec, limit) for name, spec in specs.items()}
        self._aliases = {
            alias: name
            for name, spec in specs.items()
            for alias in (name, spec.physical_name, spec.arn)
        }

    def function_name(self, name_or_arn: str) -> str | None:
        """The logical id a name, physical name or (qualified) ARN refers to, if any."""
        unqualified = name_or_arn.removesuffix(":$LATEST")
        return self._aliases.get(unqualified)

    def invoke(
        self,
        name: str,
        event: Any,
        *,
        request_id: str | None = None,
        wait_seconds: float | None = None,
    ) -> InvokeResult:
        """Invoke synchronously; raises KeyError for an unknown function, Throttled when busy,
        RequestTooLarge over Lambda's 6 MB, WaitExceeded when ``wait_seconds`` pass first."""
        logical_id = self.function_name(name)
        if logical_id is None:
            raise KeyError(name)
        event_json = event if isinstance(event, bytes) else json.dumps(event).encode()
        if len(event_json) > MAX_REQUEST_BYTES:
            raise RequestTooLarge(logical_id)
        return self._pools[logical_id].invoke(
            event_json, request_id or str(uuid.uuid4()), wait_seconds
        )

    def shutdown(self) -> None:
        """Stop every worker (bounded); safe to call twice."""
        for pool in self._pools.values():
            pool.close()
