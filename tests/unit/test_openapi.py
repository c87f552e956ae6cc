"""docs/openapi.json is what the code says, covers every template route, and documents every
status a route answers with (the contract for clients and for tests/e2e/test_fuzz_openapi.py)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from local import openapi
from local.template import Route

DOC = openapi.DEFAULT_OUTPUT
RULES = Path(openapi.REPO_ROOT) / "docs" / "rules.md"


@pytest.fixture(scope="module")
def document(template_model: Any) -> dict[str, Any]:
    return openapi.build_document(template_model)


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][path][method.lower()]
    return operation


def test_committed_document_is_what_the_code_describes(document: dict[str, Any]) -> None:
    assert DOC.is_file(), "docs/openapi.json is missing: run `make openapi` and commit it"
    assert DOC.read_text("utf-8") == openapi.render(document), (
        "docs/openapi.json drifted from the code: run `make openapi` and commit it"
    )


def test_every_template_route_is_documented_with_its_security(
    template_model: Any, document: dict[str, Any]
) -> None:
    committed = json.loads(DOC.read_text("utf-8"))
    for route in template_model.routes:
        operation = committed["paths"].get(route.path, {}).get(route.method.lower())
        assert operation is not None, f"{route.method} {route.path} is not in docs/openapi.json"
        if route.authorizer is None:
            assert operation["security"] == []
        else:
            assert operation["security"] == [{route.authorizer: []}]
            assert "401" in operation["responses"]
    documented = {(path, method) for path, ops in committed["paths"].items() for method in ops}
    assert documented == {(r.path, r.method.lower()) for r in template_model.routes}


def test_error_answers_use_the_contract_error_body(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in json.dumps(document)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    text = json.dumps(response)
                    assert "#/components/schemas/ErrorBody" in text, (method, path, status)
            assert {"415", "422"} <= set(operation["responses"]), (method, path)


def test_domain_errors_are_derived_from_the_handlers(document: dict[str, Any]) -> None:
    def codes(method: str, path: str, status: str) -> set[str]:
        response = _operation(document, method, path)["responses"][status]
        schema = response["content"]["application/json"]["schema"]
        schema = schema.get("anyOf", [schema])[0]
        return set(schema["allOf"][1]["properties"]["code"]["enum"])

    assert {"LOGIN_ID_TAKEN", "ALREADY_MEMBER"} <= codes("POST", "/members", "409")
    assert codes("POST", "/members", "403") == {"UNDER_14"}
    assert "VENDOR_UNAVAILABLE" in codes(
        "POST", "/identity-verifications/{verificationId}/callback", "503"
    )
    # operator_gate on every admin route: a member gets 403 FORBIDDEN. Sign-out only takes
    # access away, so any token of the operators' pool may end its own sessions.
    for path, operations in document["paths"].items():
        if path.startswith("/admin/") and path != "/admin/sign-out":
            for method in operations:
                assert "FORBIDDEN" in codes(method, path, "403"), (method, path)
    # member_gate: a withdrawn member's token gets the contract's 401.
    assert codes("GET", "/members/me", "401") == {"UNAUTHORIZED"}
    assert "500" not in _operation(document, "POST", "/members")["responses"]


def _literal_statuses(function: Any) -> set[int]:
    """2xx statuses a handler returns literally: ``return x, 201`` or ``Response(201, ...)``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            last = node.value.elts[-1]
            if isinstance(last, ast.Constant) and isinstance(last.value, int):
                found.add(last.value)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Response":
            for keyword in node.keywords:
                if keyword.arg == "status_code" and isinstance(keyword.value, ast.Constant):
                    found.add(int(keyword.value.value))
    return found


# Fuzzing found it: POST /members, the holds, privacy-request, provision and policy-version
# routes answered 201 while the document said 200 (schemathesis: undocumented status code).
def test_every_status_a_handler_returns_is_documented(
    template_model: Any, document: dict[str, Any]
) -> None:
    for logical_id, code_dir in openapi.api_functions(template_model).items():
        app = openapi.load_app_module(code_dir).app
        for route in [*app._static_routes, *app._dynamic_routes]:
            responses = _operation(document, route.method, route.openapi_path)["responses"]
            for status in _literal_statuses(route.func):
                assert str(status) in responses, (logical_id, route.method, route.path, status)


def test_a_route_the_template_does_not_serve_is_refused(template_model: Any) -> None:
    # A route of a function that serves others too: dropping a function's only route drops
    # the function from the document altogether.
    routes = template_model.routes
    dropped = next(r for r in routes if sum(o.function == r.function for o in routes) > 1)
    fewer = dataclasses.replace(template_model, routes=tuple(r for r in routes if r != dropped))
    with pytest.raises(openapi.OpenApiError, match="does not route to it"):
        openapi.build_document(fewer)


def test_a_template_route_no_resolver_describes_is_refused(template_model: Any) -> None:
    extra = Route("PartnerCenterApi", "GET", "/members/me/nowhere", "ProfileFunction", None)
    more = dataclasses.replace(template_model, routes=(*template_model.routes, extra))
    with pytest.raises(openapi.OpenApiError, match="GET /members/me/nowhere"):
        openapi.build_document(more)


def test_clashing_schemas_of_two_functions_are_refused() -> None:
    target = {"Profile": {"type": "object"}}
    openapi._merge_schemas(target, {"Profile": {"type": "object"}}, "Same")
    with pytest.raises(openapi.OpenApiError, match="Profile"):
        openapi._merge_schemas(target, {"Profile": {"type": "string"}}, "Other")


def test_raised_errors_follow_calls_tables_and_unknown_receivers(tmp_path: Path) -> None:
    source = tmp_path / "handler.py"
    source.write_text(
        textwrap.dedent(
            """
            from partnercenter.errors import Conflict, NotFound, Forbidden
            from partnercenter import errors

            REASONS = {0: Conflict}

            class Thing:
                def go(self):
                    return self.deeper()

                def deeper(self):
                    raise errors.VendorUnavailable()

            thing = Thing()

            def route():
                try:
                    thing.go()
                except NotFound:
                    pass
                if isinstance(None, Forbidden):
                    pass
                raise REASONS[0]()

            def unknown_receiver(obj):
                obj.deeper()  # whatever obj is: every reachable method named `deeper`

            class Child(Thing):
                pass

            child = Child()

            def inherited():
                child.go()  # Thing.go, found through Child's base
            """
        ),
        "utf-8",
    )
    raised = openapi.RaisedErrors(
        ["Conflict", "NotFound", "Forbidden", "VendorUnavailable"], {"handler": source}
    )
    # Caught (except) and checked (isinstance) errors are not raised.
    assert raised.errors_of("handler", "route") == {"Conflict", "VendorUnavailable"}
    assert raised.errors_of("handler", "unknown_receiver") == {"VendorUnavailable"}
    assert raised.errors_of("handler", "inherited") == {"VendorUnavailable"}
    assert raised.errors_of("handler", "nowhere") == frozenset()


def test_command_line_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "openapi.json"
    assert openapi.main(["--check", str(target)]) == 1
    assert openapi.main(["--write", str(target)]) == 0
    assert openapi.main(["--check", str(target)]) == 0
    target.write_text(target.read_text("utf-8").replace("partnercenter API", "stale"), "utf-8")
    assert openapi.main(["--check", str(target)]) == 1
    assert "make openapi" in capsys.readouterr().err


# Fuzzing found it: a path value the resolver's route pattern does not take (control
# characters, e.g. POST /identity-verifications/%04%F3.../callback) reaches no handler and the
# resolver answers 404 NOT_FOUND, which the document did not list for that route.
def test_path_values_no_route_takes_are_documented_not_found(document: dict[str, Any]) -> None:
    from tests.support import api_event, call

    odd = "\x04\U0010f3a1P"
    event = api_event("identity-verification-callback", path_params={"verificationId": odd})
    answer = call("identity_verification", event)
    assert (answer.status, answer.body["code"]) == (404, "NOT_FOUND")
    for path, operations in document["paths"].items():
        if "{" in path:
            for method, operation in operations.items():
                assert "NOT_FOUND" in json.dumps(operation["responses"]["404"]), (method, path)


def test_every_operation_has_a_summary_a_description_naming_its_rules_and_a_tag(
    template_model: Any, document: dict[str, Any]
) -> None:
    rules = set(re.findall(r"^\| (R-[A-Z]+-\d+) \|", RULES.read_text("utf-8"), re.MULTILINE))
    authorizers = {(r.path, r.method.lower()): r.authorizer for r in template_model.routes}
    tags = {tag["name"] for tag in document["tags"]}
    assert tags == {"public", "member", "operator", "vendor"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary", "").strip(), f"{where} has no summary"
            assert operation["summary"] != where, f"{where}'s summary is only its route"
            named = set(re.findall(r"R-[A-Z]+-\d+", operation.get("description", "")))
            assert named, f"{where}'s description names no policy rule"
            assert named <= rules, f"{where} names rules docs/rules.md lacks: {named - rules}"
            assert len(operation.get("tags", [])) == 1, f"{where} has no tag"
            assert operation["tags"][0] in tags
            # Security is declared on every operation: none exactly where the template has none.
            assert "security" in operation
            public = authorizers[(path, method)] is None
            assert (operation["security"] == []) == public, where
            assert (operation["tags"][0] in ("public", "vendor")) == public, where
    assert _operation(document, "POST", "/identity-verifications/{verificationId}/callback")[
        "tags"
    ] == ["vendor"]
    assert _operation(document, "POST", "/members")["tags"] == ["public"]
    assert _operation(document, "GET", "/members/me")["tags"] == ["member"]
    assert _operation(document, "GET", "/admin/members")["tags"] == ["operator"]


def test_every_request_body_has_an_example_from_events(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body is None:
                continue
            examples = [m.get("example") for m in body["content"].values() if "example" in m]
            assert examples, f"{method.upper()} {path}'s body has no example"


def test_the_callback_documents_its_form_body(document: dict[str, Any]) -> None:
    body = _operation(document, "POST", "/identity-verifications/{verificationId}/callback")
    form = body["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert {"certNum", "apiToken"} <= set(form["schema"]["properties"])
    assert set(form["example"]) == {"certNum", "apiToken"}


def test_the_password_rule_is_stated(document: dict[str, Any]) -> None:
    password = document["components"]["schemas"]["SignupRequest"]["properties"]["password"]
    assert password["minLength"] == 10
    assert "lowercase letter" in password["description"]
    assert "digit" in password["description"]


def test_an_operation_without_documentation_is_refused(
    template_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local import openapi_docs

    trimmed = dict(openapi_docs.OPERATIONS)
    del trimmed[("get", "/privacy-policy")]
    monkeypatch.setattr(openapi_docs, "OPERATIONS", trimmed)
    with pytest.raises(openapi.OpenApiError, match="GET /privacy-policy has no entry"):
        openapi.build_document(template_model)
