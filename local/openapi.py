"""docs/openapi.json: one OpenAPI document for the whole API, built from the code.

``python -m local.openapi --write docs/openapi.json`` writes it, ``--check docs/openapi.json``
fails when the committed file differs from what the code says now (a unit test does the same).

Every route of template.yaml is served by one function's resolver (functions/<dir>/app.py,
module-level ``app``); each resolver describes its own routes (``get_openapi_schema``), and
this module merges them into one document and adds what a resolver cannot know:

- security as the template says: the Cognito authorizer's scheme on authorized routes,
  ``security: []`` on public ones;
- the contract's error body (``ErrorBody``) for every error answer, replacing Powertools'
  ``HTTPValidationError``;
- which error answers a route can give: 422/415 from the shared resolver for every route, 401
  from the authorizer on authorized routes, and the domain errors its handler can raise,
  found by following the handler's calls through the package (``RaisedErrors``).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local.template import REPO_ROOT, Route, TemplateModel, load_template

PACKAGE = "partnercenter"
PACKAGE_DIR = REPO_ROOT / "layers" / "core" / PACKAGE
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "openapi.json"
ERRORS_MODULE = f"{PACKAGE}.errors"
SCHEMA_REF = "#/components/schemas/"
ERROR_BODY = "ErrorBody"
# Powertools' own validation schemas, replaced by the contract's error body.
_POWERTOOLS_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class OpenApiError(ValueError):
    """The code and the template disagree about the routes, or two schemas clash."""


# ---------------------------------------------------------------------------- the resolvers
def _ensure_import_path() -> None:
    for entry in (str(REPO_ROOT / "layers" / "core"), str(REPO_ROOT)):
        if entry not in sys.path:
            sys.path.insert(0, entry)


def load_app_module(code_dir: Path) -> ModuleType:
    """functions/<dir>/app.py in a namespace of its own (every function's module is ``app``)."""
    _ensure_import_path()
    name = f"openapi_{code_dir.name}_app"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, code_dir / "app.py")
    if spec is None or spec.loader is None:
        raise OpenApiError(f"{code_dir}: no app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def api_functions(model: TemplateModel) -> dict[str, Path]:
    """Logical id -> code directory of every function that serves a route."""
    return {route.function: model.functions[route.function].code_dir for route in model.routes}


def _resolver_routes(app: Any) -> Iterator[Any]:
    yield from app._static_routes
    yield from app._dynamic_routes


# ---------------------------------------------------------------------------- raised errors
@dataclass
class _Function:
    module: str
    cls: str | None
    node: ast.FunctionDef | ast.AsyncFunctionDef
    errors: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)


@dataclass
class _Module:
    name: str
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)  # local name -> "mod" or "mod:name"
    classes: set[str] = field(default_factory=set)
    instances: dict[str, str] = field(default_factory=dict)  # variable -> its class's local name
    constants: dict[str, ast.expr] = field(default_factory=dict)


class RaisedErrors:
    """Which of errors.py's classes a function can raise, by following its calls statically.

    Calls are followed through module functions, methods (``self.x()``, ``app.x()`` on a
    module-level instance) and imports within the package. A method call on a value whose type
    is not known (``vendor.start(...)``) is taken to reach every package method of that name,
    so the answer errs on the side of listing too much. A reference to an error class (also
    through a module-level table) counts as raising it; ``except`` clauses and ``isinstance``
    checks do not.
    """

    def __init__(self, error_names: Iterable[str], extra_files: Mapping[str, Path]) -> None:
        self._error_names = set(error_names)
        self._modules: dict[str, _Module] = {}
        self._functions: dict[str, _Function] = {}
        self._methods_by_name: dict[str, set[str]] = {}
        self._reachable: dict[str, set[str]] = {}
        for path in sorted(PACKAGE_DIR.rglob("*.py")):
            parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            self._add_module(name, path)
        for name, path in extra_files.items():
            self._add_module(name, path)
        for function in self._functions.values():
            self._scan(function)
        self._closure: dict[str, frozenset[str]] = {}

    def errors_of(self, module: str, qualname: str) -> frozenset[str]:
        """Error class names ``module``'s ``qualname`` (``f`` or ``Class.f``) can raise."""
        start = f"{module}:{qualname}"
        if start not in self._closure:
            seen: set[str] = set()
            errors: set[str] = set()
            pending = [start]
            while pending:
                key = pending.pop()
                if key in seen or key not in self._functions:
                    continue
                seen.add(key)
                function = self._functions[key]
                errors |= function.errors
                pending.extend(function.calls - seen)
            self._closure[start] = frozenset(errors)
        return self._closure[start]

    # -- indexing
    def _add_module(self, name: str, path: Path) -> None:
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        module = _Module(name=name, tree=tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self._index_imports(module, package)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._functions[f"{name}:{node.name}"] = _Function(name, None, node)
            elif isinstance(node, ast.ClassDef):
                module.classes.add(node.name)
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        key = f"{name}:{node.name}.{item.name}"
                        self._functions[key] = _Function(name, node.name, item)
                        self._methods_by_name.setdefault(item.name, set()).add(key)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in (t for t in targets if isinstance(t, ast.Name)):
                    module.constants[target.id] = node.value
                    if isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
                        module.instances[target.id] = node.value.func.id
        self._modules[name] = module

    def _index_imports(self, module: _Module, package: str) -> None:
        """Every import of the module, also those inside functions (lazy imports)."""
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    module.imports[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    module.imports[alias.asname or alias.name] = (
                        target if self._is_module_path(target) else f"{base}:{alias.name}"
                    )

    @staticmethod
    def _is_module_path(dotted: str) -> bool:
        if not dotted.startswith(f"{PACKAGE}.") and dotted != PACKAGE:
            return False
        relative = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
        candidate = PACKAGE_DIR / relative
        return candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file()

    # -- resolving names
    def _resolve(self, module: str, name: str, depth: int = 0) -> str | None:
        """``module``'s name as "mod:name" where it is defined (imports followed), or None."""
        mod = self._modules.get(module)
        if mod is None or depth > 10:
            return None
        if f"{module}:{name}" in self._functions or name in mod.classes:
            return f"{module}:{name}"
        if name in mod.constants:
            return f"{module}:{name}"
        target = mod.imports.get(name)
        if target is None:
            return None
        if ":" not in target:
            return target  # a module
        target_module, _, target_name = target.partition(":")
        return self._resolve(target_module, target_name, depth + 1)

    def _error_of(self, module: str, name: str) -> str | None:
        resolved = self._resolve(module, name)
        if resolved and resolved.startswith(f"{ERRORS_MODULE}:"):
            error = resolved.partition(":")[2]
            return error if error in self._error_names else None
        return None

    # -- scanning one function
    def _scan(self, function: _Function) -> None:
        ignored = self._ignored_references(function.node)
        # The body only: a route's decorator declares its gate, whose middlewares are entry
        # points of their own (``_raised_codes``).
        body = [node for statement in function.node.body for node in ast.walk(statement)]
        for node in body:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if id(node) not in ignored:
                    self._reference(function, node.id)
            elif isinstance(node, ast.Call):
                self._call(function, node.func)

    @staticmethod
    def _ignored_references(root: ast.AST) -> set[int]:
        """Names in ``except`` clauses and ``isinstance`` checks: they catch, not raise."""
        ignored: set[int] = set()
        for node in ast.walk(root):
            checked: ast.AST | None = None
            if isinstance(node, ast.ExceptHandler):
                checked = node.type
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("isinstance", "issubclass")
                and len(node.args) == 2
            ):
                checked = node.args[1]
            if checked is not None:
                ignored.update(id(n) for n in ast.walk(checked))
        return ignored

    def _reference(self, function: _Function, name: str) -> None:
        error = self._error_of(function.module, name)
        if error:
            function.errors.add(error)
            return
        resolved = self._resolve(function.module, name)
        if resolved is None or ":" not in resolved:
            return
        target_module, _, target_name = resolved.partition(":")
        constant = self._modules[target_module].constants.get(target_name)
        if constant is not None:  # a table of errors, e.g. cancellation reasons by index
            for node in ast.walk(constant):
                if isinstance(node, ast.Name):
                    nested = self._error_of(target_module, node.id)
                    if nested:
                        function.errors.add(nested)
        else:
            function.calls.add(resolved)

    def _call(self, function: _Function, callee: ast.expr) -> None:
        if not isinstance(callee, ast.Attribute):
            return  # plain names are handled as references
        method = callee.attr
        receiver = callee.value
        if isinstance(receiver, ast.Name):
            mod = self._modules[function.module]
            if receiver.id in ("self", "cls") and function.cls:
                function.calls.add(f"{function.module}:{function.cls}.{method}")
                return
            target = self._resolve(function.module, receiver.id)
            if target and ":" not in target:  # module.function(...)
                error = self._error_of(target, method)
                if error:
                    function.errors.add(error)
                else:
                    function.calls.add(f"{target}:{method}")
                return
            cls = mod.instances.get(receiver.id)
            cls_at = self._resolve(function.module, cls) if cls else None
            if cls_at and ":" in cls_at:  # a module-level instance, e.g. the resolver `app`
                function.calls.update(self._method_with_bases(cls_at, method))
                return
            if (
                target
                and target.partition(":")[2] in self._modules[target.partition(":")[0]].classes
            ):  # Class.method(...)
                function.calls.add(f"{target}.{method}")
                return
        # A method of a value of unknown type: any method of that name that the module can
        # reach through its imports.
        reachable = self._reachable_modules(function.module)
        function.calls.update(
            key
            for key in self._methods_by_name.get(method, set())
            if key.partition(":")[0] in reachable
        )

    def _reachable_modules(self, module: str) -> set[str]:
        if module not in self._reachable:
            seen: set[str] = set()
            pending = [module]
            while pending:
                name = pending.pop()
                if name in seen or name not in self._modules:
                    continue
                seen.add(name)
                for target in self._modules[name].imports.values():
                    pending.append(target.partition(":")[0])
            self._reachable[module] = seen
        return self._reachable[module]

    def _method_with_bases(self, class_at: str, method: str) -> set[str]:
        """``Class.method`` where it is defined: the class itself or its package bases."""
        module, _, cls = class_at.partition(":")
        key = f"{module}:{cls}.{method}"
        if key in self._functions:
            return {key}
        for node in self._modules[module].tree.body:
            if isinstance(node, ast.ClassDef) and node.name == cls:
                for base in node.bases:
                    if isinstance(base, ast.Name):
                        resolved = self._resolve(module, base.id)
                        if resolved and ":" in resolved:
                            found = self._method_with_bases(resolved, method)
                            if found:
                                return found
        return set()


# ---------------------------------------------------------------------------- the document
def _error_classes() -> dict[str, tuple[str, int, str]]:
    """errors.py's classes: name -> (code, status, default message)."""
    _ensure_import_path()
    from partnercenter import errors

    found = {}
    for name, value in vars(errors).items():
        if (
            isinstance(value, type)
            and issubclass(value, errors.PartnerCenterError)
            and value is not errors.PartnerCenterError
        ):
            found[name] = (value.code, value.status, value.default_message)
    return found


def _error_body_schema() -> dict[str, Any]:
    _ensure_import_path()
    from partnercenter.api import ErrorBody

    schema = ErrorBody.model_json_schema(by_alias=True)
    schema["description"] = (
        "The contract's error body. `message` says what to do and never echoes personal "
        "data; `fields` names offending fields (never their values)."
    )
    return schema


# Every route: the shared resolver refuses undecodable, too deep or non-object bodies and failed
# validation (422), multipart or non-JSON bodies (415) and oversized ones (413) before any
# handler runs.
# Bodies too large for the resolver's bound are a 413 before parsing.
_RESOLVER_ERRORS = {
    422: ("VALIDATION_FAILED",),
    415: ("UNSUPPORTED_MEDIA_TYPE",),
    413: ("PAYLOAD_TOO_LARGE",),
}


def _error_response(codes: Iterable[str]) -> dict[str, Any]:
    ordered = sorted(set(codes))
    schema: dict[str, Any] = {
        "allOf": [
            {"$ref": f"{SCHEMA_REF}{ERROR_BODY}"},
            {"type": "object", "properties": {"code": {"type": "string", "enum": ordered}}},
        ]
    }
    # The gateway's own refusals (the authorizer's 401) use the same body: template.yaml's
    # GatewayResponses.
    description = ", ".join(ordered)
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


_SCHEME_DESCRIPTIONS = {
    "": (
        "The members' user pool's **id token** itself, as API Gateway's Cognito authorizer "
        "takes it (not the access token; locally `Bearer <id token>` is taken too); the member "
        "is its `sub`. In Swagger UI: Authorize, paste the id token."
    ),
    "OperatorsAuthorizer": (
        "An **id token** of the operators' user pool, signed in with password and "
        "authenticator code (TOTP); the operator must be in the `privacy-admin` group and not "
        "signed out at the time of the request (docs/operators.md). In Swagger UI: Authorize, "
        "paste the id token."
    ),
}


def _security_schemes(model: TemplateModel) -> dict[str, Any]:
    schemes = {}
    for api in model.apis.values():
        for name, authorizer in api.authorizers.items():
            schemes[name] = {
                "type": "apiKey",
                "in": "header",
                "name": authorizer.header,
                "description": _SCHEME_DESCRIPTIONS.get(name, _SCHEME_DESCRIPTIONS[""]),
            }
    return schemes


def _merge_schemas(target: dict[str, Any], source: Mapping[str, Any], origin: str) -> None:
    for name, schema in source.items():
        if name in _POWERTOOLS_SCHEMAS:
            continue
        if name in target and target[name] != schema:
            raise OpenApiError(
                f"schema {name!r} of {origin} differs from another function's {name!r}; "
                "rename one of the models"
            )
        target[name] = schema


def _template_routes(model: TemplateModel) -> dict[tuple[str, str], Route]:
    return {(route.path, route.method.lower()): route for route in model.routes}


def build_document(model: TemplateModel | None = None) -> dict[str, Any]:
    """The merged OpenAPI document for every route of the template."""
    model = model or load_template()
    templated = _template_routes(model)
    errors = _error_classes()
    functions = api_functions(model)
    apps = {logical_id: load_app_module(code_dir) for logical_id, code_dir in functions.items()}
    raised = RaisedErrors(
        errors, {module.__name__: Path(str(module.__file__)) for module in apps.values()}
    )
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for logical_id, module in sorted(apps.items()):
        app = module.app
        document = json.loads(
            app.get_openapi_schema().model_dump_json(by_alias=True, exclude_none=True)
        )
        _merge_schemas(schemas, document.get("components", {}).get("schemas", {}), logical_id)
        handlers = {(r.openapi_path, r.method.lower()): r for r in _resolver_routes(app)}
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                route = templated.get((path, method))
                if route is None or route.function != logical_id:
                    raise OpenApiError(
                        f"{logical_id} serves {method.upper()} {path}, which template.yaml "
                        "does not route to it"
                    )
                handler = handlers[(path, method)]
                codes = _raised_codes(raised, module.__name__, handler, app, errors)
                _describe_raw_body(operation, module)
                described = _operation(operation, route, codes)
                paths.setdefault(path, {})[method] = _documented(described, path, method, route)
    missing = sorted(
        f"{method.upper()} {path}"
        for (path, method) in templated
        if method not in paths.get(path, {})
    )
    if missing:
        raise OpenApiError(f"no function's resolver describes {', '.join(missing)}")
    schemas[ERROR_BODY] = _error_body_schema()
    return {
        "openapi": "3.1.0",
        "info": _info(),
        "servers": [{"url": "/", "description": "the API stage (locally: the stack's API)"}],
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {
            "schemas": {name: schemas[name] for name in sorted(schemas)},
            "securitySchemes": _security_schemes(model),
        },
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
    }


TAGS = {
    "public": "No sign-in: the policy, identity verification and signup.",
    "member": "A signed-in member's own data and rights (the id token in Authorization).",
    "operator": "The privacy-admin group's routes (an operator's id token in Authorization).",
    "vendor": "Where the identity vendor's page sends the browser back, in its wire format.",
}


def _tag(path: str, route: Route) -> str:
    if path.endswith("/callback"):
        return "vendor"
    if route.authorizer is None:
        return "public"
    return "operator" if path.startswith("/admin/") else "member"


def _documented(operation: dict[str, Any], path: str, method: str, route: Route) -> dict[str, Any]:
    """The operation with its summary, description (naming its rules), tag and the request
    body's example from events/ (local/openapi_docs.py)."""
    from local.openapi_docs import OPERATIONS

    doc = OPERATIONS.get((method, path))
    if doc is None:
        raise OpenApiError(f"{method.upper()} {path} has no entry in local/openapi_docs.py")
    first = {"tags": [_tag(path, route)], "summary": doc.summary, "description": doc.description}
    result = {**first, **{k: v for k, v in operation.items() if k not in first}}
    body = result.get("requestBody")
    if doc.event is not None and body is not None:
        result["requestBody"] = _with_examples(body, doc.event)
    return result


def _with_examples(body: dict[str, Any], event_name: str) -> dict[str, Any]:
    """Each media type's example: the sample event's body, decoded as that media type."""
    from urllib.parse import parse_qsl

    event = json.loads((REPO_ROOT / "events" / f"{event_name}.json").read_text("utf-8"))
    raw = str(event.get("body") or "")
    content = {}
    for media, entry in body.get("content", {}).items():
        if media == "application/x-www-form-urlencoded":
            try:
                example: Any = dict(parse_qsl(raw, strict_parsing=True))
            except ValueError:
                continue  # the sample is the other media type
        else:
            try:
                example = json.loads(raw)
            except json.JSONDecodeError:
                continue
        content[media] = {**entry, "example": example}
    for media, entry in body.get("content", {}).items():
        content.setdefault(media, entry)
    return {**body, "content": content}


# The media types a raw-body route takes (the identity vendors' returns: KMC posts a form).
_RAW_BODY_MEDIA_TYPES = ("application/x-www-form-urlencoded", "application/json")


def _describe_raw_body(operation: dict[str, Any], module: ModuleType) -> None:
    """A route that reads its body raw names the model describing it (``RAW_BODY_EXTENSION``);
    that model becomes the operation's request body, for each media type the route takes."""
    _ensure_import_path()
    from partnercenter.api import RAW_BODY_EXTENSION

    name = operation.pop(RAW_BODY_EXTENSION, None)
    if name is None:
        return
    schema = getattr(module, name).model_json_schema(by_alias=True)
    operation["requestBody"] = {
        "required": True,
        "content": {media: {"schema": schema} for media in _RAW_BODY_MEDIA_TYPES},
    }


def _info() -> dict[str, Any]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return {
        "title": "partnercenter API",
        "version": str(project["version"]),
        "description": (
            f"{project['description']} Generated from the code by `python -m local.openapi`; "
            "do not edit by hand."
        ),
    }


def _raised_codes(
    raised: RaisedErrors,
    module: str,
    handler: Any,
    app: Any,
    errors: Mapping[str, tuple[str, int, str]],
) -> dict[int, set[str]]:
    """Status -> contract codes the route's handler and middlewares can answer with."""
    entry_points = [(module, handler.func.__name__)]
    for middleware in [*app._router_middlewares, *handler.middlewares]:
        entry_points.append((middleware.__module__, middleware.__qualname__))
    by_status: dict[int, set[str]] = {}
    for entry_module, qualname in entry_points:
        for name in raised.errors_of(entry_module, qualname):
            code, status, _ = errors[name]
            if status < 500 or status == 503:  # 500 is never documented: fuzzing asserts none
                by_status.setdefault(status, set()).add(code)
    return by_status


def _operation(
    operation: dict[str, Any], route: Route, raised: Mapping[int, set[str]]
) -> dict[str, Any]:
    result = dict(operation)
    responses = {
        status: response
        for status, response in operation.get("responses", {}).items()
        if not _is_powertools_validation(response)
    }
    by_status: dict[int, set[str]] = {s: set(c) for s, c in raised.items()}
    for status, codes in _RESOLVER_ERRORS.items():
        by_status.setdefault(status, set()).update(codes)
    if "{" in route.path:
        # A path value the resolver's route pattern does not take (e.g. control characters)
        # reaches no handler: the resolver answers NOT_FOUND.
        by_status.setdefault(404, set()).add("NOT_FOUND")
    if route.authorizer is not None:
        by_status.setdefault(401, set()).add("UNAUTHORIZED")
        result["security"] = [{route.authorizer: []}]
    else:
        result["security"] = []
    for status in sorted(by_status):
        responses[str(status)] = _error_response(by_status[status])
    _link_next_page(result, responses)
    result["responses"] = {key: responses[key] for key in sorted(responses)}
    return result


def _link_next_page(operation: Mapping[str, Any], responses: dict[str, Any]) -> None:
    """A paginated route links its answer to its next page: the same required parameters (a
    range) with the answer's ``nextToken``, so that a stateful client (schemathesis) follows
    tokens. Optional filters are left out: a link expression naming a parameter the request
    did not send cannot be resolved."""
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    if "nextToken" not in {p["name"] for p in query} or "200" not in responses:
        return
    parameters = {
        f"query.{p['name']}": f"$request.query.{p['name']}" for p in query if p.get("required")
    }
    parameters["query.nextToken"] = "$response.body#/nextToken"
    responses["200"] = {
        **responses["200"],
        "links": {"nextPage": {"operationId": operation["operationId"], "parameters": parameters}},
    }


def _is_powertools_validation(response: Mapping[str, Any]) -> bool:
    text = json.dumps(response)
    return any(f"{SCHEMA_REF}{name}" in text for name in _POWERTOOLS_SCHEMAS)


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# ---------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.openapi", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, metavar="FILE", help="write the document")
    action.add_argument("--check", type=Path, metavar="FILE", help="fail if FILE is stale")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.write:
        args.write.write_text(text, "utf-8")
        print(f"wrote {args.write}")
        return 0
    if not args.check.is_file() or args.check.read_text("utf-8") != text:
        print(
            f"{args.check} is not what the code describes; run `make openapi` and commit it",
            file=sys.stderr,
        )
        return 1
    print(f"{args.check} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
