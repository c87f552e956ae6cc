"""local/template.py: the model the local stack derives from template.yaml.

Expectations are read from the SAM source itself (its Globals and Events), so these tests
check the translator-derived model against what the template says, not against a hand list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.template import (
    DEFAULT_TEMPLATE,
    Route,
    TemplateError,
    TemplateModel,
    load_cfn_yaml,
    load_template,
)


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_cfn_yaml(DEFAULT_TEMPLATE.read_text("utf-8"))


@pytest.fixture(scope="module")
def model() -> TemplateModel:
    return load_template()


def _sam_functions(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in sam["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_short_tags_become_their_long_forms() -> None:
    document = load_cfn_yaml(
        "A: !Ref X\nB: !GetAtt Pool.Arn\nC: !Sub 'a-${X}'\n"
        "D: !If [Cond, !Ref X, !Ref AWS::NoValue]\nE: !Not [!Equals [!Ref X, '']]\n"
        "F: !Join ['', [a, !Select [0, !Split [',', 'x,y']]]]\n"
    )
    assert document == {
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["Pool", "Arn"]},
        "C": {"Fn::Sub": "a-${X}"},
        "D": {"Fn::If": ["Cond", {"Ref": "X"}, {"Ref": "AWS::NoValue"}]},
        "E": {"Fn::Not": [{"Fn::Equals": [{"Ref": "X"}, ""]}]},
        "F": {"Fn::Join": ["", ["a", {"Fn::Select": [0, {"Fn::Split": [",", "x,y"]}]}]]},
    }


def test_every_api_event_is_a_route_with_its_auth(
    sam: dict[str, Any], model: TemplateModel
) -> None:
    api_auth = {
        name: resource["Properties"].get("Auth", {})
        for name, resource in sam["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Api"
    }
    expected = set()
    for function, props in _sam_functions(sam).items():
        for event in props.get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            e = event["Properties"]
            api = e["RestApiId"]["Ref"]
            authorizer = e.get("Auth", {}).get("Authorizer", api_auth[api].get("DefaultAuthorizer"))
            expected.add(
                Route(
                    api=api,
                    method=e["Method"].upper(),
                    path=e["Path"],
                    function=function,
                    authorizer=None if authorizer == "NONE" else authorizer,
                )
            )
    assert set(model.routes) == expected
    assert len(model.routes) == len(expected)


def test_the_contract_public_and_authorized_routes(model: TemplateModel) -> None:
    routes = {(r.method, r.path): r for r in model.routes}
    assert routes["GET", "/privacy-policy"].authorizer is None
    assert routes["GET", "/members/me"].authorizer == "MembersAuthorizer"
    authorizers = model.apis[routes["GET", "/members/me"].api].authorizers
    assert authorizers["MembersAuthorizer"].header == "Authorization"
    assert authorizers["MembersAuthorizer"].user_pools == ("UserPool",)
    # Operators sign in to their own pool (TOTP at every sign-in); only its tokens pass.
    assert routes["GET", "/admin/members"].authorizer == "OperatorsAuthorizer"
    assert authorizers["OperatorsAuthorizer"].header == "Authorization"
    assert authorizers["OperatorsAuthorizer"].user_pools == ("OperatorPool",)


def test_functions_code_handler_and_limits_after_globals(
    sam: dict[str, Any], model: TemplateModel
) -> None:
    globals_ = sam["Globals"]["Function"]
    root = DEFAULT_TEMPLATE.parent
    layer_dirs = {
        name: (root / resource["Properties"]["ContentUri"]).resolve()
        for name, resource in sam["Resources"].items()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
    }
    assert set(model.functions) == set(_sam_functions(sam))
    for name, props in _sam_functions(sam).items():
        function = model.functions[name]
        assert function.code_dir == (root / props["CodeUri"]).resolve()
        assert f"{function.handler_module}.{function.handler_function}" == props["Handler"]
        assert function.timeout == props.get("Timeout", globals_["Timeout"])
        assert function.memory_size == props.get("MemorySize", globals_["MemorySize"])
        layers = props.get("Layers", globals_.get("Layers", []))
        assert function.layer_dirs == tuple(layer_dirs[layer["Ref"]] for layer in layers)


def test_environment_is_globals_merged_with_the_function_and_stays_symbolic(
    sam: dict[str, Any], model: TemplateModel
) -> None:
    global_env = sam["Globals"]["Function"]["Environment"]["Variables"]
    for name, props in _sam_functions(sam).items():
        own = props.get("Environment", {}).get("Variables", {})
        assert dict(model.functions[name].environment) == {**global_env, **own}
    assert model.functions["PolicyFunction"].environment["MEMBERS_TABLE"] == {"Ref": "MembersTable"}


def test_schedules_come_from_the_schedule_events(sam: dict[str, Any], model: TemplateModel) -> None:
    expected = {
        (function, event["Properties"]["ScheduleExpression"])
        for function, props in _sam_functions(sam).items()
        for event in props.get("Events", {}).values()
        if event["Type"] in ("Schedule", "ScheduleV2")
    }
    assert {(s.function, s.expression) for s in model.schedules} == expected
    assert all(s.enabled for s in model.schedules)


def test_resources_and_parameters_keep_the_template_properties(
    sam: dict[str, Any], model: TemplateModel
) -> None:
    for kind in (
        "AWS::DynamoDB::Table",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolGroup",
    ):
        source = {n: r["Properties"] for n, r in sam["Resources"].items() if r["Type"] == kind}
        assert source, kind
        assert {n: dict(r.properties) for n, r in model.of_type(kind).items()} == source
    assert model.parameter_defaults() == {
        name: str(spec["Default"]) for name, spec in sam["Parameters"].items()
    }
    assert model.apis["PartnerCenterApi"].stage == {"Ref": "Stage"}


SMALL_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Environment:
      Variables:
        SHARED: !Ref Flag
Parameters:
  Flag: {Type: String, Default: "on"}
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Proxy:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: pkg.mod.handle
      Events:
        Anything:
          Type: Api
          Properties: {Path: "/files/{key+}", Method: ANY}
"""


def test_implicit_api_any_method_greedy_path_and_cfn_defaults(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(SMALL_TEMPLATE)
    model = load_template(template)
    (route,) = model.routes
    assert route == Route(
        api="ServerlessRestApi",
        method="ANY",
        path="/files/{key+}",
        function="Proxy",
        authorizer=None,
    )
    function = model.functions["Proxy"]
    assert (function.handler_module, function.handler_function) == ("pkg.mod", "handle")
    assert (function.timeout, function.memory_size) == (3, 128)  # CloudFormation's defaults
    assert function.code_dir == (tmp_path / "fn").resolve()
    assert function.environment == {"SHARED": {"Ref": "Flag"}}


def test_lambda_authorizers_are_refused_rather_than_waved_through(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        SMALL_TEMPLATE.replace("Method: ANY}", "Method: ANY, RestApiId: !Ref Api}")
        + """
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
        DefaultAuthorizer: Custom
        Authorizers:
          Custom:
            FunctionArn: arn:aws:lambda:ap-northeast-2:123456789012:function:auth
"""
    )
    with pytest.raises(TemplateError, match="only Cognito"):
        load_template(template)
