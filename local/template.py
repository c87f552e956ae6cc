"""template.yaml, read once into a model of what the local stack must emulate.

The SAM template goes through the real SAM translator (offline), so Globals, the default
authorizer and the generated resources are exactly what CloudFormation would get. Everything
the local stack knows about functions, routes, schedules and resources comes from here; values
that CloudFormation resolves at deploy time (``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` ...) stay
symbolic and are resolved by ``local.provision`` against what it created.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
DEFAULT_REGION = "ap-northeast-2"

# The translator insists on S3 URIs for code; local directories travel through it as keys of
# this placeholder bucket and are turned back into directories afterwards.
_LOCAL_CODE_BUCKET = "local-code"
_LOCAL_URI_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}
# CloudFormation's defaults when a function does not say.
_DEFAULT_TIMEOUT = 3
_DEFAULT_MEMORY = 128

_INTRINSIC_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "Transform",
)
# A function's ARN in an integration URI: ``${Fn.Arn}``, or ``${FnAliaslive}`` (its alias's Ref).
_ARN_IN_SUB = re.compile(r"\$\{([A-Za-z0-9]+?)(?:\.Arn)?\}")
_API_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
_ANY_METHOD = "x-amazon-apigateway-any-method"


class TemplateError(ValueError):
    """The template uses something the local stack cannot emulate faithfully."""


# ---------------------------------------------------------------------------- YAML
class CfnYamlLoader(yaml.SafeLoader):
    """A YAML loader that turns CloudFormation short tags into their ``Fn::`` forms."""


def _construct_tag(tag: str) -> Any:
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":  # `!GetAtt A.B` is short for `Fn::GetAtt: [A, B]`
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        else:
            raise TemplateError(f"!{tag} takes a scalar, a list or a mapping")
        return {key: value}

    return construct


for _tag in (*_INTRINSIC_TAGS, "GetAtt", "Ref", "Condition"):
    CfnYamlLoader.add_constructor(f"!{_tag}", _construct_tag(_tag))


def load_cfn_yaml(text: str) -> dict[str, Any]:
    """Parse CloudFormation YAML, short tags included."""
    document = yaml.load(text, Loader=CfnYamlLoader)  # noqa: S506 - SafeLoader subclass  # nosec B506
    if not isinstance(document, dict):
        raise TemplateError("the template is not a YAML mapping")
    return document


# ---------------------------------------------------------------------------- model
@dataclass(frozen=True)
class Resource:
    """One resource of the translated (plain CloudFormation) template."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]
    condition: str | None = None


@dataclass(frozen=True)
class Function:
    """A Lambda function as the local runtime needs it; environment values may be intrinsics."""

    logical_id: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    handler_module: str
    handler_function: str
    runtime: str
    timeout: int
    memory_size: int
    environment: Mapping[str, Any]


@dataclass(frozen=True)
class Authorizer:
    """A Cognito user-pool authorizer: which header carries the token, which pools issue it."""

    name: str
    header: str
    user_pools: tuple[str, ...]  # logical ids of AWS::Cognito::UserPool


@dataclass(frozen=True)
class GatewayResponse:
    """How the API answers a refusal of its own (a 401 from the authorizer, an unknown route)."""

    status: int | None
    json_template: str | None


@dataclass(frozen=True)
class Api:
    """A REST API: its stage name (symbolic), its authorizers and its gateway responses."""

    logical_id: str
    stage: Any
    authorizers: Mapping[str, Authorizer]
    gateway_responses: Mapping[str, GatewayResponse]


@dataclass(frozen=True)
class Route:
    """One method of one resource path, e.g. GET /admin/members/{memberId}."""

    api: str
    method: str  # upper case, or ANY
    path: str
    function: str
    authorizer: str | None  # None: the route is public (Auth NONE)


@dataclass(frozen=True)
class Schedule:
    """A scheduled invocation of a function (EventBridge rule or Scheduler schedule)."""

    logical_id: str
    function: str
    expression: Any
    timezone: Any  # None: UTC
    enabled: bool


@dataclass(frozen=True)
class TemplateModel:
    """Everything the local stack derives from template.yaml."""

    path: Path
    parameters: Mapping[str, Mapping[str, Any]]
    conditions: Mapping[str, Any]
    mappings: Mapping[str, Any]
    resources: Mapping[str, Resource]
    functions: Mapping[str, Function]
    apis: Mapping[str, Api]
    routes: tuple[Route, ...]
    schedules: tuple[Schedule, ...]

    def of_type(self, resource_type: str) -> dict[str, Resource]:
        """Resources of one CloudFormation type, by logical id."""
        return {k: r for k, r in self.resources.items() if r.type == resource_type}

    @property
    def tables(self) -> dict[str, Resource]:
        return self.of_type("AWS::DynamoDB::Table")

    @property
    def kms_keys(self) -> dict[str, Resource]:
        return self.of_type("AWS::KMS::Key")

    @property
    def secrets(self) -> dict[str, Resource]:
        return self.of_type("AWS::SecretsManager::Secret")

    @property
    def user_pools(self) -> dict[str, Resource]:
        return self.of_type("AWS::Cognito::UserPool")

    @property
    def user_pool_clients(self) -> dict[str, Resource]:
        return self.of_type("AWS::Cognito::UserPoolClient")

    @property
    def user_pool_groups(self) -> dict[str, Resource]:
        return self.of_type("AWS::Cognito::UserPoolGroup")

    def parameter_defaults(self) -> dict[str, str]:
        """Template parameters with a Default, as the strings CloudFormation passes around."""
        return {
            name: _parameter_text(spec["Default"])
            for name, spec in self.parameters.items()
            if "Default" in spec
        }


def _parameter_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------------------- loading
class _NoManagedPolicies:
    """Managed-policy loader for the offline translator: no IAM lookups, no managed names."""

    def load(self) -> dict[str, str]:
        return {}


@contextmanager
def _translator_environment() -> Iterator[None]:
    """The translator reads the region from boto3's default session and logs feature-toggle
    noise; give it a region when none is set and keep its warnings out of the stack output."""
    added_region = "AWS_DEFAULT_REGION" not in os.environ
    if added_region:
        os.environ["AWS_DEFAULT_REGION"] = os.environ.get("AWS_REGION", DEFAULT_REGION)
    sam_logger = logging.getLogger("samtranslator")
    previous_level = sam_logger.level
    sam_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        sam_logger.setLevel(previous_level)
        if added_region:
            del os.environ["AWS_DEFAULT_REGION"]


def translate(sam_template: Mapping[str, Any]) -> dict[str, Any]:
    """Run the SAM translator offline; local code URIs survive as placeholder S3 keys."""
    from samtranslator.translator.transform import transform  # heavy: import on use

    document = copy.deepcopy(dict(sam_template))
    for resource in document.get("Resources", {}).values():
        uri_property = _LOCAL_URI_PROPERTIES.get(resource.get("Type", ""))
        properties = resource.get("Properties", {})
        if uri_property and isinstance(properties.get(uri_property), str):
            properties[uri_property] = f"s3://{_LOCAL_CODE_BUCKET}/{properties[uri_property]}"
    with _translator_environment():
        # Parameter values stay symbolic here: provision() resolves them with its overrides.
        translated: dict[str, Any] = transform(document, {}, _NoManagedPolicies())
    return translated


def load_template(path: Path = DEFAULT_TEMPLATE) -> TemplateModel:
    """Read and translate the template, then derive the local stack's model from it."""
    translated = translate(load_cfn_yaml(path.read_text(encoding="utf-8")))
    root = path.resolve().parent
    resources = {
        logical_id: Resource(
            logical_id=logical_id,
            type=body["Type"],
            properties=body.get("Properties", {}),
            condition=body.get("Condition"),
        )
        for logical_id, body in translated["Resources"].items()
    }
    functions = {
        logical_id: _function(resource, resources, root)
        for logical_id, resource in resources.items()
        if resource.type == "AWS::Lambda::Function"
    }
    apis = {
        logical_id: _api(resource, resources)
        for logical_id, resource in resources.items()
        if resource.type == "AWS::ApiGateway::RestApi"
    }
    # AutoPublishAlias: API routes and schedules invoke a function through its alias.
    targets = {name: name for name in functions} | {
        logical_id: str(resource.properties["FunctionName"]["Ref"])
        for logical_id, resource in resources.items()
        if resource.type == "AWS::Lambda::Alias"
    }
    routes = tuple(
        route
        for logical_id, resource in resources.items()
        if resource.type == "AWS::ApiGateway::RestApi"
        for route in _routes(logical_id, resource, apis[logical_id], targets)
    )
    return TemplateModel(
        path=path,
        parameters=translated.get("Parameters", {}),
        conditions=translated.get("Conditions", {}),
        mappings=translated.get("Mappings", {}),
        resources=resources,
        functions=functions,
        apis=apis,
        routes=routes,
        schedules=tuple(_schedules(resources, targets)),
    )


def _local_dir(location: Any, root: Path, what: str) -> Path:
    if not (isinstance(location, Mapping) and location.get("S3Bucket") == _LOCAL_CODE_BUCKET):
        raise TemplateError(f"{what}: only local code directories can run locally")
    return (root / str(location["S3Key"])).resolve()


def _function(resource: Resource, resources: Mapping[str, Resource], root: Path) -> Function:
    props = resource.properties
    handler = str(props.get("Handler", ""))
    module, _, function = handler.rpartition(".")
    if not module:
        raise TemplateError(f"{resource.logical_id}: Handler must be module.function")
    layer_dirs = []
    for layer in props.get("Layers", []):
        # Layers given as ARNs (e.g. a public Powertools layer) come from the local venv.
        if isinstance(layer, Mapping) and "Ref" in layer:
            layer_resource = resources[layer["Ref"]]
            content = layer_resource.properties.get("Content")
            layer_dirs.append(_local_dir(content, root, layer_resource.logical_id))
    return Function(
        logical_id=resource.logical_id,
        code_dir=_local_dir(props.get("Code"), root, resource.logical_id),
        layer_dirs=tuple(layer_dirs),
        handler_module=module,
        handler_function=function,
        runtime=str(props.get("Runtime", "")),
        timeout=int(props.get("Timeout", _DEFAULT_TIMEOUT)),
        memory_size=int(props.get("MemorySize", _DEFAULT_MEMORY)),
        environment=dict(props.get("Environment", {}).get("Variables", {})),
    )


def _openapi_body(resource: Resource) -> Mapping[str, Any]:
    body = resource.properties.get("Body")
    if not isinstance(body, Mapping):
        raise TemplateError(f"{resource.logical_id}: only inline API definitions are emulated")
    return body


def _api(resource: Resource, resources: Mapping[str, Resource]) -> Api:
    body = _openapi_body(resource)
    schemes = body.get("components", {}).get("securitySchemes") or body.get(
        "securityDefinitions", {}
    )
    authorizers = {}
    for name, scheme in schemes.items():
        if scheme.get("x-amazon-apigateway-authtype") != "cognito_user_pools":
            raise TemplateError(f"{name}: only Cognito user-pool authorizers are emulated")
        pools = []
        for arn in scheme["x-amazon-apigateway-authorizer"]["providerARNs"]:
            if not (isinstance(arn, Mapping) and "Fn::GetAtt" in arn):
                raise TemplateError(f"{name}: the user pool must be one of the template's")
            pools.append(str(arn["Fn::GetAtt"][0]))
        authorizers[name] = Authorizer(
            name=name, header=str(scheme.get("name", "Authorization")), user_pools=tuple(pools)
        )
    stages = [
        r.properties.get("StageName")
        for r in resources.values()
        if r.type == "AWS::ApiGateway::Stage"
        and r.properties.get("RestApiId") == {"Ref": resource.logical_id}
    ]
    if len(stages) != 1:
        raise TemplateError(f"{resource.logical_id}: expected exactly one stage")
    gateway_responses = {
        kind: GatewayResponse(
            status=int(answer["statusCode"]) if "statusCode" in answer else None,
            json_template=(answer.get("responseTemplates") or {}).get("application/json"),
        )
        for kind, answer in body.get("x-amazon-apigateway-gateway-responses", {}).items()
    }
    return Api(
        logical_id=resource.logical_id,
        stage=stages[0],
        authorizers=authorizers,
        gateway_responses=gateway_responses,
    )


def _integration_function(uri: Any, where: str, targets: Mapping[str, str]) -> str:
    template = uri.get("Fn::Sub") if isinstance(uri, Mapping) else None
    if isinstance(template, list):
        template = template[0]
    match = _ARN_IN_SUB.search(template) if isinstance(template, str) else None
    if not match or match.group(1) not in targets:
        raise TemplateError(f"{where}: the integration is not a function of this template")
    return targets[match.group(1)]


def _routes(
    logical_id: str, resource: Resource, api: Api, targets: Mapping[str, str]
) -> Iterator[Route]:
    for path, operations in _openapi_body(resource).get("paths", {}).items():
        for key, operation in operations.items():
            if key != _ANY_METHOD and key not in _API_METHODS:
                continue  # path-level keys such as `parameters`
            method = "ANY" if key == _ANY_METHOD else key.upper()
            where = f"{logical_id} {method} {path}"
            integration = operation.get("x-amazon-apigateway-integration", {})
            if integration.get("type") != "aws_proxy":
                raise TemplateError(f"{where}: only Lambda proxy integrations are emulated")
            names = [name for item in operation.get("security", []) for name in item]
            authorizers = [name for name in names if name != "NONE"]
            if len(authorizers) > 1 or any(a not in api.authorizers for a in authorizers):
                raise TemplateError(f"{where}: unknown or multiple authorizers {authorizers}")
            yield Route(
                api=logical_id,
                method=method,
                path=path,
                function=_integration_function(integration.get("uri"), where, targets),
                authorizer=authorizers[0] if authorizers else None,
            )


def _target_function(arn: Any, targets: Mapping[str, str]) -> str | None:
    """The function a target ARN names: ``!GetAtt Fn.Arn`` or an alias's ``!Ref``."""
    if isinstance(arn, Mapping) and "Fn::GetAtt" in arn:
        return targets.get(str(arn["Fn::GetAtt"][0]))
    if isinstance(arn, Mapping) and "Ref" in arn:
        return targets.get(str(arn["Ref"]))
    return None


def _schedules(resources: Mapping[str, Resource], targets: Mapping[str, str]) -> Iterator[Schedule]:
    for logical_id, resource in resources.items():
        props = resource.properties
        if resource.type == "AWS::Events::Rule" and "ScheduleExpression" in props:
            functions = [_target_function(t.get("Arn"), targets) for t in props.get("Targets", [])]
            state = props.get("State", "ENABLED")
        elif resource.type == "AWS::Scheduler::Schedule":
            functions = [_target_function(props.get("Target", {}).get("Arn"), targets)]
            state = props.get("State", "ENABLED")
        else:
            continue
        for function in functions:
            if function is not None:
                yield Schedule(
                    logical_id=logical_id,
                    function=function,
                    expression=props["ScheduleExpression"],
                    timezone=props.get("ScheduleExpressionTimezone"),
                    enabled=state == "ENABLED",
                )
