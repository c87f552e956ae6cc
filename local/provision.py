"""Creates every resource of the template in moto, resource by resource.

moto's CloudFormation cannot create Cognito resources, so the stack is not deployed with
``create_stack``: each resource is created from the template's own properties, in dependency
order, and the intrinsics (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If`` ...) of everything
else (function environments, stage names) resolve against what was created. Works against the
moto server over HTTP and in process under ``moto.mock_aws()``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import secrets
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
from botocore.model import Shape

from local.template import Route, TemplateError, TemplateModel

STACK_NAME = "partnercenter"
VENDOR_SECRET_ID = "VendorSecret"  # noqa: S105 - a logical id, not a secret  # nosec B105

# Types the local stack emulates itself (functions, API, schedules through the invoke API) or
# that have no local effect (IAM is not enforced by moto by default; nothing locally publishes
# metrics to CloudWatch, so alarms, the dashboard and their topic stay idle): not created in moto.
EMULATED_TYPES = frozenset(
    {
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Stage",
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::Events::Rule",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::Lambda::Alias",
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Permission",
        "AWS::Lambda::Version",
        "AWS::Scheduler::Schedule",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
    }
)
# Secrets Manager's GenerateSecretString punctuation set.
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_NO_VALUE = object()  # AWS::NoValue: the property is left out


@dataclass
class Provisioned:
    """What provision() created, and the template's intrinsics resolved against it."""

    model: TemplateModel
    region: str
    account_id: str
    endpoint_url: str | None
    parameters: dict[str, str]
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_created: dict[str, str] = field(default_factory=dict)  # logical id -> unsupported type
    vendor_credentials: dict[str, str] | None = None
    _conditions: dict[str, bool] = field(default_factory=dict)

    # ------------------------------------------------------------------ lookups
    def physical_id(self, logical_id: str) -> str:
        """What ``Ref`` of the resource gives (table name, key id, pool id, secret ARN ...)."""
        if logical_id not in self.refs:
            raise KeyError(f"{logical_id} was not provisioned")
        return str(self.refs[logical_id])

    def attribute(self, logical_id: str, name: str) -> Any:
        """What ``Fn::GetAtt`` gives."""
        try:
            return self.attributes[logical_id][name]
        except KeyError:
            raise TemplateError(f"cannot resolve Fn::GetAtt {logical_id}.{name}") from None

    @property
    def routes(self) -> tuple[Route, ...]:
        return self.model.routes

    @property
    def tables(self) -> dict[str, str]:
        """Table logical id -> physical table name."""
        return {lid: self.physical_id(lid) for lid in self.model.tables if lid in self.refs}

    def stage(self, api_logical_id: str) -> str:
        return str(self.resolve(self.model.apis[api_logical_id].stage))

    def function_environment(self, function_logical_id: str) -> dict[str, str]:
        """The function's template environment (Globals merged), every value resolved."""
        env = self.resolve(self.model.functions[function_logical_id].environment)
        return {name: _env_text(value) for name, value in env.items()}

    # ------------------------------------------------------------------ intrinsics
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.model.conditions[name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        """Resolve CloudFormation intrinsics in ``value``; AWS::NoValue drops the property."""
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not _NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _INTRINSICS.get(key)
            if function is not None:
                return function(self, argument)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name in self.parameters:
            spec = self.model.parameters[name]
            text = self.parameters[name]
            return text.split(",") if "List" in str(spec.get("Type", "")) else text
        pseudo = self._pseudo_parameters()
        if name in pseudo:
            return pseudo[name]
        if name in self.refs:
            return self.refs[name]
        raise TemplateError(f"cannot resolve Ref {name}")

    def _pseudo_parameters(self) -> dict[str, Any]:
        return {
            "AWS::AccountId": self.account_id,
            "AWS::NoValue": _NO_VALUE,
            "AWS::NotificationARNs": [],
            "AWS::Partition": "aws",
            "AWS::Region": self.region,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{STACK_NAME}/local"
            ),
            "AWS::StackName": STACK_NAME,
            "AWS::URLSuffix": "amazonaws.com",
        }

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        resolved_variables = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is the escape for a literal ${Literal}
                return "${" + name[1:] + "}"
            if name in resolved_variables:
                return str(resolved_variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self.attribute(logical_id, attribute))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def _if(self, argument: list[Any]) -> Any:
        name, if_true, if_false = argument
        return self.resolve(if_true if self.condition(name) else if_false)

    def _get_att(self, argument: Any) -> Any:
        logical_id, name = argument.split(".", 1) if isinstance(argument, str) else argument
        return self.attribute(logical_id, self.resolve(name))


def _join(p: Provisioned, argument: list[Any]) -> str:
    delimiter, items = argument
    return str(delimiter).join(str(item) for item in p.resolve(items))


def _select(p: Provisioned, argument: list[Any]) -> Any:
    index, items = p.resolve(argument)
    return items[int(index)]


def _split(p: Provisioned, argument: list[Any]) -> list[str]:
    delimiter, text = p.resolve(argument)
    return str(text).split(delimiter)


def _find_in_map(p: Provisioned, argument: list[Any]) -> Any:
    name, top, second = p.resolve(argument)
    return p.model.mappings[name][top][second]


def _base64(p: Provisioned, argument: Any) -> str:
    return base64.b64encode(str(p.resolve(argument)).encode()).decode()


def _equals(p: Provisioned, argument: list[Any]) -> bool:
    left, right = p.resolve(argument)
    return str(left) == str(right)


_INTRINSICS: dict[str, Callable[[Provisioned, Any], Any]] = {
    "Ref": lambda p, a: p._ref(a),
    "Condition": lambda p, a: p.condition(a),
    "Fn::GetAtt": lambda p, a: p._get_att(a),
    "Fn::Sub": lambda p, a: p._sub(a),
    "Fn::If": lambda p, a: p._if(a),
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::FindInMap": _find_in_map,
    "Fn::Base64": _base64,
    "Fn::Equals": _equals,
    "Fn::Not": lambda p, a: not p.resolve(a[0]),
    "Fn::And": lambda p, a: all(p.resolve(c) for c in a),
    "Fn::Or": lambda p, a: any(p.resolve(c) for c in a),
}


def _env_text(value: Any) -> str:
    """Environment values as Lambda sees them: strings; booleans as CloudFormation writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


# ---------------------------------------------------------------------------- API parameters
def _fit_to_shape(value: Any, shape: Shape) -> Any:
    """Keep what the API's input shape accepts and coerce CloudFormation's string scalars
    ("60", "true") to the shape's types: the template's properties pass through unchanged
    wherever CloudFormation and the API agree on names."""
    kind = shape.type_name
    # botocore's Shape subclasses carry members/member/value; the stubs only know Shape.
    if kind == "structure":
        members = cast(Any, shape).members
        fitted: Any = {k: _fit_to_shape(v, members[k]) for k, v in value.items() if k in members}
    elif kind == "list":
        fitted = [_fit_to_shape(v, cast(Any, shape).member) for v in value]
    elif kind == "map":
        fitted = {k: _fit_to_shape(v, cast(Any, shape).value) for k, v in value.items()}
    elif kind in ("integer", "long"):
        fitted = int(value)
    elif kind == "boolean":
        fitted = value if isinstance(value, bool) else str(value).lower() == "true"
    elif kind == "string" and isinstance(value, dict | list):
        fitted = json.dumps(value)  # e.g. a KMS key policy written as YAML
    else:
        fitted = value
    return fitted


def _api_params(
    client: Any, operation: str, properties: Mapping[str, Any], renames: Mapping[str, str] = {}
) -> dict[str, Any]:
    shape = client.meta.service_model.operation_model(operation).input_shape
    renamed = {renames.get(k, k): v for k, v in properties.items()}
    params: dict[str, Any] = _fit_to_shape(renamed, shape)
    return params


# ---------------------------------------------------------------------------- secrets
def generate_secret_string(spec: Mapping[str, Any]) -> str:
    """A value as Secrets Manager's GenerateSecretString would make it."""
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    pools = [
        pool
        for flag, pool in (
            ("ExcludeLowercase", string.ascii_lowercase),
            ("ExcludeUppercase", string.ascii_uppercase),
            ("ExcludeNumbers", string.digits),
            ("ExcludePunctuation", _PUNCTUATION),
        )
        if str(spec.get(flag, False)).lower() != "true"
    ]
    if str(spec.get("IncludeSpace", False)).lower() == "true":
        pools.append(" ")
    pools = ["".join(c for c in pool if c not in excluded) for pool in pools]
    pools = [pool for pool in pools if pool]
    length = int(spec.get("PasswordLength", 32))
    if not pools or length < 1:
        raise TemplateError("GenerateSecretString leaves no characters to choose from")
    alphabet = "".join(pools)
    chars = [secrets.choice(alphabet) for _ in range(length)]
    if str(spec.get("RequireEachIncludedType", True)).lower() == "true":
        # One of each included type at distinct random positions, as the service guarantees.
        positions = list(range(length))
        for pool in pools[:length]:
            chars[positions.pop(secrets.randbelow(len(positions)))] = secrets.choice(pool)
    generated = "".join(chars)
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = generated
        return json.dumps(document)
    return generated


def vendor_credentials() -> dict[str, str]:
    """The identity-vendor credentials an operator sets after deploy, made up for local use."""
    return {
        "cpId": "PARTNERCENTER",
        "urlCode": "001001",
        # The local stack seals with the simulator's cipher; deployed stacks name KMC's module.
        "cipher": "simulator",
        "cipherKey": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "storeId": "store-partnercenter",
        "apiSecret": secrets.token_urlsafe(32),
    }


# ---------------------------------------------------------------------------- provisioning
def _physical_name(logical_id: str) -> str:
    return f"{STACK_NAME}-{logical_id}"


def _references(value: Any) -> Iterator[str]:
    """Logical ids (or parameter names) that ``value`` refers to."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
    elif isinstance(value, Mapping):
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                yield argument
            elif key == "Fn::GetAtt":
                yield argument.split(".")[0] if isinstance(argument, str) else argument[0]
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                for name in _SUB_VARIABLE.findall(text):
                    yield name.split(".")[0]
                yield from _references(argument if isinstance(argument, list) else [])
            else:
                yield from _references(argument)


class _Creator:
    """Creates resources in moto and records their Ref and GetAtt values on ``Provisioned``."""

    def __init__(self, session: boto3.Session, endpoint_url: str | None, p: Provisioned) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self._clients: dict[str, Any] = {}
        self.p = p
        self.handlers: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::KMS::Key": self.kms_key,
            "AWS::KMS::Alias": self.kms_alias,
            "AWS::SecretsManager::Secret": self.secret,
            "AWS::DynamoDB::Table": self.table,
            "AWS::Cognito::UserPool": self.user_pool,
            "AWS::Cognito::UserPoolClient": self.user_pool_client,
            "AWS::Cognito::UserPoolGroup": self.user_pool_group,
            "AWS::Logs::LogGroup": self.log_group,
            "AWS::SSM::Parameter": self.ssm_parameter,
            "AWS::SQS::Queue": self.queue,
        }

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(  # type: ignore[call-overload]
                service, region_name=self.p.region, endpoint_url=self._endpoint_url
            )
        return self._clients[service]

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.p.region}:{self.p.account_id}:{resource}"

    def emulated(self, logical_id: str, resource_type: str, properties: Mapping[str, Any]) -> None:
        """Ref/GetAtt values of resources the local stack emulates instead of creating."""
        name = _physical_name(logical_id)
        if resource_type == "AWS::Lambda::Function":
            self.p.refs[logical_id] = name
            self.p.attributes[logical_id] = {"Arn": self._arn("lambda", f"function:{name}")}
        elif resource_type in {"AWS::Lambda::Alias", "AWS::Lambda::Version"}:
            # AutoPublishAlias: the local stack runs the code as it is, as the one version.
            function = _physical_name(str(properties["FunctionName"]["Ref"]))
            qualifier = str(properties.get("Name", "1"))
            self.p.refs[logical_id] = self._arn("lambda", f"function:{function}:{qualifier}")
            self.p.attributes[logical_id] = {"Version": "1"}
        elif resource_type == "AWS::ApiGateway::RestApi":
            # API ids are 10 lowercase alphanumerics; stable so that URLs do not change per run.
            api_id = hashlib.sha256(name.encode()).hexdigest()[:10]
            self.p.refs[logical_id] = api_id
            self.p.attributes[logical_id] = {"RootResourceId": api_id[:6]}
        elif resource_type == "AWS::IAM::Role":
            self.p.refs[logical_id] = name
            self.p.attributes[logical_id] = {"Arn": f"arn:aws:iam::{self.p.account_id}:role/{name}"}
        elif resource_type == "AWS::Lambda::LayerVersion":
            layer = properties.get("LayerName", name)
            self.p.refs[logical_id] = self._arn("lambda", f"layer:{layer}:1")
        else:
            self.p.refs[logical_id] = name

    def kms_key(self, logical_id: str, props: dict[str, Any]) -> None:
        kms = self.client("kms")
        params = _api_params(kms, "CreateKey", props, {"KeyPolicy": "Policy"})
        key = kms.create_key(**params)["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        if props.get("Enabled") is False:
            kms.disable_key(KeyId=key["KeyId"])
        self.p.refs[logical_id] = key["KeyId"]
        self.p.attributes[logical_id] = {"Arn": key["Arn"], "KeyId": key["KeyId"]}

    def kms_alias(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("kms").create_alias(
            AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"]
        )
        self.p.refs[logical_id] = props["AliasName"]

    def secret(self, logical_id: str, props: dict[str, Any]) -> None:
        manager = self.client("secretsmanager")
        params = _api_params(manager, "CreateSecret", props)
        params.setdefault("Name", _physical_name(logical_id))
        if "SecretString" not in params and "GenerateSecretString" in props:
            params["SecretString"] = generate_secret_string(props["GenerateSecretString"])
        arn = manager.create_secret(**params)["ARN"]
        self.p.refs[logical_id] = arn
        self.p.attributes[logical_id] = {"Id": arn}

    def table(self, logical_id: str, props: dict[str, Any]) -> None:
        dynamodb = self.client("dynamodb")
        params = _api_params(dynamodb, "CreateTable", props)
        params.setdefault("TableName", _physical_name(logical_id))
        if "StreamSpecification" in params:  # CloudFormation implies it; the API wants it said
            params["StreamSpecification"]["StreamEnabled"] = True
        table = dynamodb.create_table(**params)["TableDescription"]
        name = table["TableName"]
        # TTL and PITR are separate API calls; the same properties drive them.
        for operation, call, prop in (
            ("UpdateTimeToLive", dynamodb.update_time_to_live, "TimeToLiveSpecification"),
            (
                "UpdateContinuousBackups",
                dynamodb.update_continuous_backups,
                "PointInTimeRecoverySpecification",
            ),
        ):
            if prop in props:
                call(TableName=name, **_api_params(dynamodb, operation, {prop: props[prop]}))
        self.p.refs[logical_id] = name
        self.p.attributes[logical_id] = {
            "Arn": table["TableArn"],
            "StreamArn": table.get("LatestStreamArn"),
        }

    def user_pool(self, logical_id: str, props: dict[str, Any]) -> None:
        cognito = self.client("cognito-idp")
        params = _api_params(cognito, "CreateUserPool", props, {"UserPoolName": "PoolName"})
        params.setdefault("PoolName", _physical_name(logical_id))
        pool = cognito.create_user_pool(**params)["UserPool"]
        # CloudFormation's EnabledMfas is a separate API call: which second factors the pool offers.
        if "SOFTWARE_TOKEN_MFA" in props.get("EnabledMfas", []):
            cognito.set_user_pool_mfa_config(
                UserPoolId=pool["Id"],
                SoftwareTokenMfaConfiguration={"Enabled": True},
                MfaConfiguration=props.get("MfaConfiguration", "OFF"),
            )
        provider = f"cognito-idp.{self.p.region}.amazonaws.com/{pool['Id']}"
        self.p.refs[logical_id] = pool["Id"]
        self.p.attributes[logical_id] = {
            "Arn": pool["Arn"],
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": pool["Id"],
        }

    def user_pool_client(self, logical_id: str, props: dict[str, Any]) -> None:
        cognito = self.client("cognito-idp")
        params = _api_params(cognito, "CreateUserPoolClient", props)
        params.setdefault("ClientName", _physical_name(logical_id))
        client = cognito.create_user_pool_client(**params)["UserPoolClient"]
        self.p.refs[logical_id] = client["ClientId"]
        self.p.attributes[logical_id] = {
            "ClientId": client["ClientId"],
            "ClientSecret": client.get("ClientSecret"),
            "Name": client["ClientName"],
        }

    def user_pool_group(self, logical_id: str, props: dict[str, Any]) -> None:
        cognito = self.client("cognito-idp")
        params = _api_params(cognito, "CreateGroup", props)
        params.setdefault("GroupName", _physical_name(logical_id))
        cognito.create_group(**params)
        self.p.refs[logical_id] = params["GroupName"]

    def log_group(self, logical_id: str, props: dict[str, Any]) -> None:
        logs = self.client("logs")
        name = props.get("LogGroupName", _physical_name(logical_id))
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in props:
            logs.put_retention_policy(
                logGroupName=name, retentionInDays=int(props["RetentionInDays"])
            )
        self.p.refs[logical_id] = name
        self.p.attributes[logical_id] = {"Arn": self._arn("logs", f"log-group:{name}:*")}

    def queue(self, logical_id: str, props: dict[str, Any]) -> None:
        sqs = self.client("sqs")
        name = props.get("QueueName", _physical_name(logical_id))
        attributes = {
            key: str(props[key])
            for key in ("KmsMasterKeyId", "MessageRetentionPeriod", "VisibilityTimeout")
            if key in props
        }
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.p.refs[logical_id] = url
        self.p.attributes[logical_id] = {"Arn": self._arn("sqs", name), "QueueName": name}

    def ssm_parameter(self, logical_id: str, props: dict[str, Any]) -> None:
        ssm = self.client("ssm")
        params = _api_params(ssm, "PutParameter", props)
        params.setdefault("Name", _physical_name(logical_id))
        ssm.put_parameter(**params)
        self.p.refs[logical_id] = params["Name"]
        self.p.attributes[logical_id] = {"Type": params["Type"], "Value": params["Value"]}


def _creation_order(model: TemplateModel, to_create: set[str]) -> list[str]:
    """Resources to create, each after the ones its properties refer to."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in order:
            return
        if logical_id in visiting:
            raise TemplateError(f"circular reference through {logical_id}")
        visiting.add(logical_id)
        for dependency in _references(model.resources[logical_id].properties):
            if dependency in to_create:
                visit(dependency)
        visiting.discard(logical_id)
        order.append(logical_id)

    for logical_id in sorted(to_create):
        visit(logical_id)
    return order


def _parameters(model: TemplateModel, overrides: Mapping[str, str]) -> dict[str, str]:
    unknown = set(overrides) - set(model.parameters)
    if unknown:
        raise TemplateError(f"unknown template parameters: {sorted(unknown)}")
    values = {**model.parameter_defaults(), **{k: str(v) for k, v in overrides.items()}}
    missing = set(model.parameters) - set(values)
    if missing:
        raise TemplateError(f"template parameters without a value: {sorted(missing)}")
    for name, value in values.items():
        allowed = model.parameters[name].get("AllowedValues")
        if allowed and value not in [str(a) for a in allowed]:
            raise TemplateError(f"parameter {name} must be one of {allowed}")
    return values


@functools.cache
def _shared_session() -> boto3.Session:
    """One session for callers that bring none: botocore then loads each service model once,
    which makes a per-test provision() several times faster."""
    return boto3.Session()


def provision(
    model: TemplateModel,
    *,
    session: boto3.Session | None = None,
    endpoint_url: str | None = None,
    region: str,
    parameter_overrides: Mapping[str, str] | None = None,
    seed_vendor_secret: bool = False,
) -> Provisioned:
    """Create every resource of ``model`` in moto (server at ``endpoint_url``, or in process).

    ``seed_vendor_secret`` sets the VendorSecret value to made-up vendor credentials, as an
    operator does after a deploy; the local stack asks for it, in-process tests need not.
    """
    session = session or _shared_session()
    account_id = session.client(
        "sts", region_name=region, endpoint_url=endpoint_url
    ).get_caller_identity()["Account"]
    provisioned = Provisioned(
        model=model,
        region=region,
        account_id=account_id,
        endpoint_url=endpoint_url,
        parameters=_parameters(model, parameter_overrides or {}),
    )
    creator = _Creator(session, endpoint_url, provisioned)
    active = {
        lid: r
        for lid, r in model.resources.items()
        if r.condition is None or provisioned.condition(r.condition)
    }
    to_create = set()
    for logical_id, resource in active.items():
        if resource.type in creator.handlers:
            to_create.add(logical_id)
        else:
            creator.emulated(logical_id, resource.type, resource.properties)
            if resource.type not in EMULATED_TYPES:
                provisioned.not_created[logical_id] = resource.type
    for logical_id in _creation_order(model, to_create):
        resource = model.resources[logical_id]
        creator.handlers[resource.type](logical_id, provisioned.resolve(resource.properties))
    if seed_vendor_secret:
        provisioned.vendor_credentials = vendor_credentials()
        creator.client("secretsmanager").put_secret_value(
            SecretId=provisioned.physical_id(VENDOR_SECRET_ID),
            SecretString=json.dumps(provisioned.vendor_credentials),
        )
    return provisioned
