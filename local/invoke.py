"""The Lambda Invoke API, as ``sam local start-lambda`` serves it, in front of the runtime.

``boto3.client("lambda", endpoint_url=...).invoke(FunctionName=<logical id>, Payload=...)``
works unchanged; scheduled functions are run this way locally (EventBridge is not routed).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from local.lambda_runtime import LambdaRuntime, RequestTooLarge, RuntimeStopped, Throttled

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")


def _lambda_error(status: int, error_type: str, message: str) -> Response:
    """An error of the Lambda service itself, shaped so that botocore raises ``error_type``."""
    body = json.dumps({"Type": "User", "Message": message})
    response = Response(body, status, mimetype="application/json")
    response.headers["x-amzn-ErrorType"] = error_type
    return response


class InvokeApi:
    """WSGI application for ``POST /2015-03-31/functions/{FunctionName}/invocations``."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self._runtime = runtime

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self._handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        match = _INVOKE_PATH.match(request.path)
        if request.method != "POST" or match is None:
            return _lambda_error(404, "UnknownOperationException", "Unknown operation")
        name = self._runtime.function_name(match.group("name"))
        if name is None:
            message = f"Function not found: {match.group('name')}"
            return _lambda_error(404, "ResourceNotFoundException", message)
        raw = request.get_data(cache=False) or b"{}"
        try:
            json.loads(raw)
        except ValueError:
            message = "Could not parse request body into json"
            return _lambda_error(400, "InvalidRequestContentException", message)
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type not in _INVOCATION_TYPES:
            return _lambda_error(400, "InvalidParameterValueException", "Unknown InvocationType")
        return _INVOCATION_TYPES[invocation_type](self, name, raw)

    def _dry_run(self, name: str, raw: bytes) -> Response:  # noqa: ARG002 - same signature
        return Response(status=204)

    def _event(self, name: str, raw: bytes) -> Response:
        """Asynchronous: accepted now, run in the background; errors reach the stack's log."""
        threading.Thread(
            target=self._invoke_quietly, args=(name, raw), name=f"event-{name}", daemon=True
        ).start()
        return Response(status=202)

    def _request_response(self, name: str, raw: bytes) -> Response:
        try:
            result = self._runtime.invoke(name, raw)
        except RequestTooLarge:
            return _lambda_error(413, "RequestEntityTooLargeException", RequestTooLarge.message)
        except Throttled:
            return _lambda_error(429, "TooManyRequestsException", "Rate Exceeded.")
        except RuntimeStopped:
            return _lambda_error(503, "ServiceException", "The local stack is stopping")
        response = Response(result.payload, 200, mimetype="application/json")
        response.headers["X-Amz-Executed-Version"] = "$LATEST"
        if result.error:
            response.headers["X-Amz-Function-Error"] = "Unhandled"
        return response

    def _invoke_quietly(self, name: str, raw: bytes) -> None:
        try:
            self._runtime.invoke(name, raw)
        except (Throttled, RuntimeStopped, RequestTooLarge) as exc:
            print(f"Asynchronous invocation of {name} dropped: {type(exc).__name__}", flush=True)


_INVOCATION_TYPES: dict[str, Callable[[InvokeApi, str, bytes], Response]] = {
    "RequestResponse": InvokeApi._request_response,
    "Event": InvokeApi._event,
    "DryRun": InvokeApi._dry_run,
}
