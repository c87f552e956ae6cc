"""The local stack (`python -m local`) as a subprocess on free loopback ports."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.deployed import DeployedStack, StackUsers, resolve

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0


def free_ports(count: int) -> list[int]:
    """Ports the OS hands out for port 0, all held at once so that they differ."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


@dataclass
class LocalStack(StackUsers):
    """A running `python -m local` and helpers to talk to it."""

    process: subprocess.Popen[bytes]
    log_path: Path
    api_url: str
    aws_url: str
    lambda_url: str
    region: str
    user_pool_id: str
    client_id: str
    operator_pool_id: str
    operator_client_id: str

    def log_text(self) -> str:
        """Everything the stack and its workers printed so far."""
        return self.log_path.read_text("utf-8", errors="replace")

    def client(self, service: str) -> Any:
        url = self.lambda_url if service == "lambda" else self.aws_url
        return boto3.client(
            service,
            endpoint_url=url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def authenticate(
        self, username: str, password: str, client_id: str | None = None
    ) -> dict[str, Any]:
        """The tokens of a USER_PASSWORD_AUTH sign-in (through the template's client, or
        another one)."""
        answer = self.client("cognito-idp").initiate_auth(
            ClientId=client_id or self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return dict(answer["AuthenticationResult"])

    def sign_in(self, username: str, password: str) -> str:
        """The id token of a USER_PASSWORD_AUTH sign-in."""
        return str(self.authenticate(username, password)["IdToken"])

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Signal the stack, wait (bounded), then kill whatever of its group is left."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


def start_local_stack(workdir: Path, extra_env: dict[str, str] | None = None) -> LocalStack:
    """Start `python -m local` in its own process group and wait until it is ready."""
    api_port, lambda_port, aws_port = free_ports(3)
    ready_file = workdir / "ready.json"
    log_path = workdir / "stack.log"
    env = {
        **os.environ,
        "PC_API_PORT": str(api_port),
        "PC_LAMBDA_PORT": str(lambda_port),
        "PC_AWS_PORT": str(aws_port),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT)]),
        **(extra_env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--ready-file", str(ready_file)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown can reach every child
        )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None and not ready_file.exists():
        time.sleep(0.1)
    if not ready_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
        pytest.fail(f"the local stack did not get ready:\n{log_path.read_text('utf-8')}")
    info = json.loads(ready_file.read_text("utf-8"))
    return LocalStack(
        process=process,
        log_path=log_path,
        api_url=info["api_url"],
        aws_url=info["aws_url"],
        lambda_url=info["lambda_url"],
        region=info["region"],
        user_pool_id=info["user_pool_id"],
        client_id=info["client_id"],
        operator_pool_id=info["operator_pool_id"],
        operator_client_id=info["operator_client_id"],
    )


@contextlib.contextmanager
def running_stack(workdir: Path) -> Iterator[LocalStack]:
    """A stack started in ``workdir``, stopped on the way out whatever happened."""
    stack = start_local_stack(workdir)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("local-stack")) as stack:
        yield stack


@pytest.fixture(scope="session")
def target_stack(request: pytest.FixtureRequest) -> LocalStack | DeployedStack:
    """The stack the smoke tests talk to: the deployed one AWS_SAM_STACK_NAME names (make
    smoke), otherwise the local one."""
    from tests.conftest import SMOKE_STACK_NAME

    if SMOKE_STACK_NAME:
        return resolve(SMOKE_STACK_NAME)
    stack: LocalStack = request.getfixturevalue("local_stack")
    return stack


@pytest.fixture
def start_stack(tmp_path: Path) -> Iterator[Callable[[], LocalStack]]:
    """Starts a stack of the test's own (for tests that stop it); stopped afterwards anyway."""
    started: list[LocalStack] = []

    def start() -> LocalStack:
        started.append(start_local_stack(tmp_path))
        return started[-1]

    yield start
    for stack in started:
        stack.stop()
