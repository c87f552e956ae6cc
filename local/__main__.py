"""``python -m local`` (``make dev``): the whole stack of template.yaml on this machine.

moto server with every resource of the template, the API front (API Gateway + Cognito
authorizer) with the vendor simulator, and the Lambda Invoke API. Ctrl-C or SIGTERM stops
everything, workers included, and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from local.api import ApiFront, HttpServer, vendor_simulator
from local.dynamodb_limits import enforce_dynamodb_limits
from local.invoke import InvokeApi
from local.lambda_runtime import LambdaRuntime, function_specs
from local.moto_atomicity import make_dynamodb_writes_atomic
from local.provision import Provisioned, provision
from local.template import DEFAULT_REGION, load_template

HOST = "127.0.0.1"
PORTS = {  # variable -> default
    "PC_API_PORT": 3000,
    "PC_LAMBDA_PORT": 3001,
    "PC_AWS_PORT": 5000,
}


def local_parameter_overrides(api_url: str, vendor: str) -> dict[str, str]:
    """Template parameters for the local stack: vendor endpoints point at the simulator."""
    if vendor == "portone":
        request_url, api = f"{api_url}/_sim/portone/verify", f"{api_url}/_sim/portone"
    else:
        request_url, api = f"{api_url}/_sim/kmc/request", f"{api_url}/_sim/kmc/token"
    return {
        "IdentityVendor": vendor,
        "VendorRequestUrl": request_url,
        "VendorApiUrl": api,
        "VendorTimeoutSeconds": "2",
        "PublicBaseUrl": api_url,
    }


def _port_taken(port: int) -> bool:
    # SO_REUSEADDR as the servers use it: a port in TIME_WAIT is not "taken".
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def _only(resources: dict[str, Any], p: Provisioned) -> str | None:
    """The physical id when the template has exactly one resource of a kind."""
    return p.physical_id(next(iter(resources))) if len(resources) == 1 else None


def _ready_info(p: Provisioned, api_url: str, aws_url: str, lambda_url: str) -> dict[str, Any]:
    model = p.model
    return {
        "api_url": api_url,
        "aws_url": aws_url,
        "lambda_url": lambda_url,
        "region": p.region,
        "user_pool_id": _only(model.user_pools, p),
        "client_id": _only(model.user_pool_clients, p),
        "pid": os.getpid(),
    }


def _print_banner(info: dict[str, Any], p: Provisioned, simulator_problem: str | None) -> None:
    lines = [
        "partnercenter local stack is up",
        f"  API (API Gateway)   {info['api_url']}    Swagger UI: {info['api_url']}/_docs",
        f"  Lambda Invoke API   {info['lambda_url']}",
        f"  AWS (moto)          {info['aws_url']}    region {info['region']}",
        f"  Cognito user pool   {info['user_pool_id']}    app client {info['client_id']}",
        f"  try: curl {info['api_url']}/privacy-policy",
    ]
    if simulator_problem:
        lines.append(f"  WARNING: vendor simulator unavailable: {simulator_problem}")
    if p.not_created:
        lines.append(f"  WARNING: not emulated locally: {p.not_created}")
    lines.append("Ctrl-C stops the stack.")
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--ready-file", type=Path, help="write the URLs and ids here when ready")
    args = parser.parse_args(argv)

    ports = {var: int(os.environ.get(var, default)) for var, default in PORTS.items()}
    taken = [f"{port} ({var})" for var, port in ports.items() if _port_taken(port)]
    if taken:
        print(
            f"error: port {', '.join(taken)} is already in use on {HOST}; stop what uses it "
            "or choose another port with that variable.",
            file=sys.stderr,
        )
        return 2
    region = os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    api_url = f"http://{HOST}:{ports['PC_API_PORT']}"
    aws_url = f"http://{HOST}:{ports['PC_AWS_PORT']}"
    lambda_url = f"http://{HOST}:{ports['PC_LAMBDA_PORT']}"
    # moto's and werkzeug's per-request lines would drown the functions' logs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    with contextlib.ExitStack() as running:
        make_dynamodb_writes_atomic()
        enforce_dynamodb_limits()
        moto = ThreadedMotoServer(ip_address=HOST, port=ports["PC_AWS_PORT"], verbose=False)
        moto.start()
        running.callback(moto.stop)
        session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials  # nosec B106
            region_name=region,
        )
        model = load_template()
        # The stack imports the layer too (the vendor simulator speaks the adapters' wire code).
        for layer_dir in sorted({str(d) for f in model.functions.values() for d in f.layer_dirs}):
            if layer_dir not in sys.path:
                sys.path.append(layer_dir)
        provisioned = provision(
            model,
            session=session,
            endpoint_url=aws_url,
            region=region,
            parameter_overrides=local_parameter_overrides(
                api_url, os.environ.get("PC_IDENTITY_VENDOR", "kmc")
            ),
            seed_vendor_secret=True,
        )
        runtime = LambdaRuntime(
            function_specs(provisioned, aws_endpoint_url=aws_url, region=region)
        )
        # Spawning starts multiprocessing's resource tracker; stop (and reap) it after the
        # workers so that no process of ours, not even a zombie, outlives the stack.
        running.callback(resource_tracker._resource_tracker._stop)  # type: ignore[attr-defined]
        running.callback(runtime.shutdown)
        simulator, simulator_problem = vendor_simulator(provisioned.vendor_credentials or {})
        front = ApiFront(
            provisioned,
            runtime,
            aws_endpoint_url=aws_url,
            vendor_simulator=simulator,
            vendor_simulator_problem=simulator_problem,
        )
        for port, app in (
            (ports["PC_API_PORT"], front),
            (ports["PC_LAMBDA_PORT"], InvokeApi(runtime)),
        ):
            server = HttpServer(HOST, port, app)
            server.start()
            running.callback(server.stop)

        info = _ready_info(provisioned, api_url, aws_url, lambda_url)
        _print_banner(info, provisioned, simulator_problem)
        if args.ready_file:  # written whole, then renamed: a reader never sees half of it
            partial = args.ready_file.with_name(args.ready_file.name + ".partial")
            partial.write_text(json.dumps(info), encoding="utf-8")
            partial.replace(args.ready_file)
        stop.wait()
        print("stopping the local stack ...", flush=True)
    print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
