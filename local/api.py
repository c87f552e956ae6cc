"""The HTTP front of the local stack: API Gateway (REST, Lambda proxy) in front of the runtime.

Routes, the Cognito authorizer and the stage come from the template. What API Gateway itself
answers (no route, no or bad token, a broken function) is answered here in API Gateway's own
shapes, not the contract's error body: clients see the same as behind the real gateway.
Also serves the Swagger UI (``/_docs``) and mounts the vendor simulator (``/_sim/``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.request import urlopen

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local.lambda_runtime import (
    LambdaRuntime,
    RequestTooLarge,
    RuntimeStopped,
    Throttled,
    WaitExceeded,
)
from local.template import REPO_ROOT, GatewayResponse, Route

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from local.provision import Provisioned

DOCS_FILE = REPO_ROOT / "docs" / "openapi.json"
SIM_PREFIX = "/_sim/"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# API Gateway's REST integration timeout: a function still running then is answered 504.
INTEGRATION_TIMEOUT_SECONDS = 29.0
_JWKS_TIMEOUT_SECONDS = 5.0
_PATH_PARAMETER = re.compile(r"\{([^}]+?)(\+?)\}")
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z.]+)")
# API Gateway REST renders these claims as dates, not NumericDate (e.g. "Sun Mar 28 13:40:42
# UTC 2021"); auth_time stays a number rendered as a string.
_DATE_CLAIMS = {"exp", "iat"}
DOCS_ASSETS = "/_docs/assets/"
# Swagger UI's own files, served from the installed swagger-ui-py package rather than a CDN,
# so that /_docs works offline. Only these names are served.
_SWAGGER_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
_SWAGGER_UI = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>partnercenter API (local)</title>
<link rel="stylesheet" href="{DOCS_ASSETS}swagger-ui.css">
<link rel="icon" type="image/png" href="{DOCS_ASSETS}favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="{DOCS_ASSETS}swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{
  url: "/_docs/openapi.json", dom_id: "#swagger-ui", validatorUrl: null
}});</script>
</body></html>
"""


def _swagger_asset(name: str) -> Response:
    """One of Swagger UI's files from the swagger-ui-py package (found, not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("swagger_ui")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if name not in _SWAGGER_ASSETS or not locations:
        return _gateway_response(404, "no such Swagger UI file", "NotFound", "-")
    path = Path(locations[0]) / "static" / name
    return Response(path.read_bytes(), mimetype=_SWAGGER_ASSETS[name])


def _gateway_response(
    status: int,
    message: str,
    error_type: str,
    request_id: str,
    *,
    kind: str | None = None,
    responses: Mapping[str, GatewayResponse] | None = None,
) -> Response:
    """One of API Gateway's own answers: the template's gateway response of that ``kind`` (or
    its DEFAULT_4XX/5XX) where it declares one, else API Gateway's stock JSON shape."""
    configured = (responses or {}).get(kind or "") or (responses or {}).get(
        "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
    )
    body = json.dumps({"message": message})
    if configured is not None and configured.json_template is not None:
        status = configured.status or status
        body = configured.json_template.replace("$context.requestId", request_id)
    response = Response(body, status, mimetype="application/json")
    response.headers["x-amzn-RequestId"] = request_id
    response.headers["x-amzn-ErrorType"] = error_type
    return response


# ---------------------------------------------------------------------------- authorizer
def render_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway REST hands them to a proxy integration: every value a string;
    lists as ``[a b]``, booleans lower case, ``exp``/``iat`` as dates."""
    rendered = {}
    for name, value in claims.items():
        if name in _DATE_CLAIMS and isinstance(value, int | float):
            text = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            text = "[" + " ".join(str(item) for item in value) + "]"
        elif isinstance(value, dict):
            text = json.dumps(value)
        else:
            text = str(value)
        rendered[name] = text
    return rendered


class CognitoAuthorizer:
    """Verifies Cognito id tokens the way API Gateway's user-pool authorizer does."""

    def __init__(
        self, aws_endpoint_url: str, region: str, audiences: Mapping[str, frozenset[str]]
    ) -> None:
        self._aws = aws_endpoint_url.rstrip("/")
        self._region = region
        self._audiences = audiences  # user pool id -> the template's app client ids
        self._key_sets: dict[str, KeySet] = {}
        self._lock = threading.Lock()

    def _key_set(self, pool_id: str) -> KeySet:
        with self._lock:
            if pool_id not in self._key_sets:
                url = f"{self._aws}/{pool_id}/.well-known/jwks.json"
                with urlopen(url, timeout=_JWKS_TIMEOUT_SECONDS) as answer:  # noqa: S310 - moto  # nosec B310
                    self._key_sets[pool_id] = KeySet.import_key_set(json.load(answer))
            return self._key_sets[pool_id]

    def verify(self, header_value: str | None, pool_ids: Iterable[str]) -> dict[str, Any] | None:
        """The token's claims if it is a valid id token of one of the pools, else None."""
        token = (header_value or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            return None
        for pool_id in pool_ids:
            registry = jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self._issuer(pool_id)},
                aud={"essential": True, "values": sorted(self._audiences.get(pool_id, ()))},
                token_use={"essential": True, "value": "id"},
                exp={"essential": True},
            )
            try:
                claims = jwt.decode(token, self._key_set(pool_id), algorithms=["RS256"]).claims
                registry.validate(claims)
            except (JoseError, ValueError):  # ValueError: not base64 or not JSON at all
                continue
            return claims
        return None

    def _issuer(self, pool_id: str) -> str:
        return f"https://cognito-idp.{self._region}.amazonaws.com/{pool_id}"


# ---------------------------------------------------------------------------- the front
class _RouteTable:
    """The template's routes matched like API Gateway: static segments before parameters."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._methods: dict[str, dict[str, Route]] = {}
        self._parameter_names: dict[str, list[str]] = {}
        rules = []
        for route in routes:
            if route.path not in self._methods:
                rules.append(Rule(self._werkzeug_path(route.path), endpoint=route.path))
            self._methods.setdefault(route.path, {})[route.method] = route
        self._map = Map(rules, strict_slashes=False, merge_slashes=False)

    def _werkzeug_path(self, path: str) -> str:
        # werkzeug wants identifiers; API Gateway names are kept aside and restored on match.
        names = self._parameter_names.setdefault(path, [])

        def convert(match: re.Match[str]) -> str:
            names.append(match.group(1))
            converter = "path:" if match.group(2) else ""
            return f"<{converter}p{len(names) - 1}>"

        return _PATH_PARAMETER.sub(convert, path)

    def match(self, environ: WSGIEnvironment, method: str) -> tuple[Route, dict[str, str]] | None:
        try:
            path, values = self._map.bind_to_environ(environ).match()
        except HTTPException:  # no such path (methods are checked below, as API Gateway does)
            return None
        methods = self._methods[path]
        route = methods.get(method) or methods.get("ANY")
        if route is None:
            return None
        names = self._parameter_names[path]
        return route, {names[int(key[1:])]: value for key, value in values.items()}


class ApiFront:
    """The WSGI application API Gateway would be, for the provisioned template."""

    def __init__(
        self,
        provisioned: Provisioned,
        runtime: LambdaRuntime,
        *,
        aws_endpoint_url: str,
        vendor_simulator: WSGIApplication | None,
        vendor_simulator_problem: str | None = None,
        docs_file: Path = DOCS_FILE,
        integration_timeout_seconds: float = INTEGRATION_TIMEOUT_SECONDS,
    ) -> None:
        self._p = provisioned
        self._integration_timeout = integration_timeout_seconds
        self._runtime = runtime
        self._routes = _RouteTable(provisioned.routes)
        # One API in the template; its gateway responses answer for every refusal of its own.
        self._responses = {
            kind: answer
            for api in provisioned.model.apis.values()
            for kind, answer in api.gateway_responses.items()
        }
        self._vendor_simulator = vendor_simulator
        self._vendor_simulator_problem = vendor_simulator_problem
        self._docs_file = docs_file
        model = provisioned.model
        audiences: dict[str, set[str]] = {}
        for client_id, client in model.user_pool_clients.items():
            pool_id = str(provisioned.resolve(client.properties["UserPoolId"]))
            audiences.setdefault(pool_id, set()).add(provisioned.physical_id(client_id))
        self._authorizer = CognitoAuthorizer(
            aws_endpoint_url,
            provisioned.region,
            {pool: frozenset(clients) for pool, clients in audiences.items()},
        )
        self._access_log_formats = {api: self._access_log_format(api) for api in model.apis}

    def _access_log_format(self, api: str) -> str | None:
        for resource in self._p.model.of_type("AWS::ApiGateway::Stage").values():
            if resource.properties.get("RestApiId") == {"Ref": api}:
                setting = resource.properties.get("AccessLogSetting") or {}
                return setting.get("Format")
        return None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(SIM_PREFIX):
            if self._vendor_simulator is None:
                problem = self._vendor_simulator_problem or "the vendor simulator is not running"
                return _gateway_response(503, problem, "SimulatorUnavailable", "-")(
                    environ, start_response
                )
            return self._vendor_simulator(environ, start_response)
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        if path in ("/_docs", "/_docs/"):
            return Response(_SWAGGER_UI, mimetype="text/html")(environ, start_response)
        if path == "/_docs/openapi.json":
            return self._openapi()(environ, start_response)
        if path.startswith(DOCS_ASSETS):
            return _swagger_asset(path.removeprefix(DOCS_ASSETS))(environ, start_response)
        return self._gateway(request)(environ, start_response)

    def _openapi(self) -> Response:
        if not self._docs_file.is_file():
            return _gateway_response(404, "docs/openapi.json is not there yet", "NotFound", "-")
        return Response(self._docs_file.read_bytes(), mimetype="application/json")

    def _gateway(self, request: Request) -> Response:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        matched = self._routes.match(request.environ, request.method)
        if matched is None:
            return _gateway_response(
                403,
                "Missing Authentication Token",
                "MissingAuthenticationTokenException",
                request_id,
                kind="MISSING_AUTHENTICATION_TOKEN",
                responses=self._responses,
            )
        route, path_parameters = matched
        response = self._call_route(request, route, path_parameters, request_id)
        self._log_access(route, request, response, request_id, started)
        return response

    def _call_route(
        self, request: Request, route: Route, path_parameters: dict[str, str], request_id: str
    ) -> Response:
        claims = None
        if route.authorizer is not None:
            authorizer = self._p.model.apis[route.api].authorizers[route.authorizer]
            claims = self._authorizer.verify(
                request.headers.get(authorizer.header),
                [self._p.physical_id(pool) for pool in authorizer.user_pools],
            )
            if claims is None:
                return _gateway_response(
                    401,
                    "Unauthorized",
                    "UnauthorizedException",
                    request_id,
                    kind="UNAUTHORIZED",
                    responses=self._responses,
                )
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _request_too_large(request_id, self._responses)
        event = self._proxy_event(
            request,
            route=route,
            path_parameters=path_parameters,
            body=body,
            claims=claims,
            request_id=request_id,
        )
        return self._invoke(route, event, request_id)

    def _invoke(self, route: Route, event: dict[str, Any], request_id: str) -> Response:
        """The function's answer, or API Gateway's own when the invocation does not give one."""
        try:
            result = self._runtime.invoke(
                route.function,
                event,
                request_id=request_id,
                wait_seconds=self._integration_timeout,
            )
        except RequestTooLarge:
            # Within API Gateway's 10 MB but over Lambda's 6 MB: the invocation is refused.
            return _request_too_large(request_id, self._responses)
        except WaitExceeded:
            return _gateway_response(
                504,
                "Endpoint request timed out",
                "IntegrationTimeout",
                request_id,
                kind="INTEGRATION_TIMEOUT",
                responses=self._responses,
            )
        except Throttled:
            return _gateway_response(
                429,
                "Too Many Requests",
                "ThrottledException",
                request_id,
                kind="THROTTLED",
                responses=self._responses,
            )
        except RuntimeStopped:
            return _gateway_response(
                503,
                "Service Unavailable",
                "ServiceUnavailable",
                request_id,
                responses=self._responses,
            )
        if result.error:
            return _internal_error(request_id, self._responses)
        return _proxy_response(result.payload, request_id, self._responses)

    def _proxy_event(
        self,
        request: Request,
        *,
        route: Route,
        path_parameters: dict[str, str],
        body: bytes,
        claims: dict[str, Any] | None,
        request_id: str,
    ) -> dict[str, Any]:
        """An API Gateway REST (v1) Lambda proxy event."""
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers.setdefault(name, []).append(value)
        client_ip = request.remote_addr or "127.0.0.1"
        headers.setdefault("X-Forwarded-For", [client_ip])
        headers.setdefault("X-Forwarded-Proto", [request.scheme])
        headers.setdefault("X-Forwarded-Port", [str(request.environ.get("SERVER_PORT", ""))])
        query = {name: request.args.getlist(name) for name in request.args}
        try:
            text_body: str | None = body.decode("utf-8") if body else None
            is_base64 = False
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode(), True
        stage = self._p.stage(route.api)
        now = datetime.now(UTC)
        request_context: dict[str, Any] = {
            "accountId": self._p.account_id,
            "apiId": self._p.physical_id(route.api),
            "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.path).hex[:6],
            "resourcePath": route.path,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "path": f"/{stage}{request.path}",
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "stage": stage,
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0],
            "identity": {
                "sourceIp": client_ip,
                "userAgent": request.headers.get("User-Agent"),
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "user": None,
                "userArn": None,
            },
        }
        if claims is not None:
            request_context["authorizer"] = {"claims": render_claims(claims)}
        return {
            "resource": route.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": {name: values[-1] for name, values in headers.items()},
            "multiValueHeaders": headers,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": request_context,
            "body": text_body,
            "isBase64Encoded": is_base64,
        }

    def _log_access(
        self, route: Route, request: Request, response: Response, request_id: str, started: float
    ) -> None:
        """The stage's access log line, in the template's own format (no IP, no identity)."""
        log_format = self._access_log_formats.get(route.api)
        if not log_format:
            return
        values = {
            "requestId": request_id,
            "resourcePath": route.path,
            "httpMethod": request.method,
            "status": str(response.status_code),
            "responseLatency": str(int((time.monotonic() - started) * 1000)),
            "stage": self._p.stage(route.api),
        }
        print(_CONTEXT_VARIABLE.sub(lambda m: values.get(m.group(1), "-"), log_format), flush=True)


def _request_too_large(request_id: str, responses: Mapping[str, GatewayResponse]) -> Response:
    return _gateway_response(
        413,
        "Request Too Long",
        "RequestTooLarge",
        request_id,
        kind="REQUEST_TOO_LARGE",
        responses=responses,
    )


def _internal_error(request_id: str, responses: Mapping[str, GatewayResponse]) -> Response:
    return _gateway_response(
        502,
        "Internal server error",
        "InternalServerErrorException",
        request_id,
        responses=responses,
    )


def _proxy_response(
    payload: bytes, request_id: str, responses: Mapping[str, GatewayResponse]
) -> Response:
    """The function's proxy result as the HTTP response; malformed results are a 502."""
    try:
        result = json.loads(payload)
        status = int(result["statusCode"])
        body = result.get("body") or ""
        if not isinstance(body, str):
            raise TypeError("body must be a string")
        data = base64.b64decode(body, validate=True) if result.get("isBase64Encoded") else body
        single = result.get("headers") or {}
        multi = result.get("multiValueHeaders") or {}
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return _internal_error(request_id, responses)
    response = Response(data, status)
    response.headers.remove("Content-Type")
    for name, values in multi.items():
        for value in values:
            response.headers.add(str(name), str(value))
    for name, value in single.items():
        # A pair given in both places appears once, as API Gateway merges them.
        if str(value) not in [str(v) for v in multi.get(name, [])]:
            response.headers.add(str(name), str(value))
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    response.headers["x-amzn-RequestId"] = request_id
    return response


# ---------------------------------------------------------------------------- vendor simulator
def vendor_simulator(
    credentials: Mapping[str, str],
) -> tuple[WSGIApplication | None, str | None]:
    """The vendor simulator built from the seeded VendorSecret, or why it is unavailable."""
    try:
        from local.vendor_sim import VendorSimulator
    except ModuleNotFoundError as exc:
        if exc.name != "local.vendor_sim":
            raise
        return None, "the vendor simulator (local/vendor_sim.py) is not in this checkout"
    simulator = VendorSimulator(
        kmc_cipher_key=base64.urlsafe_b64decode(credentials["cipherKey"]),
        kmc_cp_id=credentials["cpId"],
        portone_store_id=credentials["storeId"],
        portone_api_secret=credentials["apiSecret"],
    )
    return simulator.wsgi_app, None


# ---------------------------------------------------------------------------- serving
class _QuietHandler(WSGIRequestHandler):
    """No per-request log lines: URLs can carry identifiers; the access log says enough."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:  # noqa: ARG002
        return


class HttpServer:
    """A threaded werkzeug server in a background thread, stoppable."""

    def __init__(self, host: str, port: int, app: Callable[..., Iterable[bytes]]) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"http-{port}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
