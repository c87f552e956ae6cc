"""Every AWS call a function makes, held to that function's role as AWS would hold it.

moto does not enforce IAM, so this does it for the tests and the local stack (never deployed):

- a botocore ``before-parameter-build`` hook sees each call's parameters before the request is
  built, derives what IAM checks for it (service, action, resource ARNs, the implicit KMS use
  of customer-managed keys behind DynamoDB and Secrets Manager) and evaluates each against the
  calling function's role as the SAM translator expands it from template.yaml;
- the evaluation is moto's own IAM policy evaluator (``moto.iam.access_control``), statement
  by statement (see docs/iam-proof.md for why and for the two quirks worked around);
- a call is attributed to a function only inside ``acting_as(function)``: the local stack's
  workers act as their function for life, the tests around each handler call;
- the local stack answers a refused call with ``AccessDeniedException`` before it is sent;
  the tests record and fail afterwards (tests/conftest.py);
- with ``PC_IAM_RECORD_DIR`` set, every call is appended to a JSON-lines file there, so
  separate runs (in-process tests, e2e workers) add up to one report of unused grants:
  ``python -m local.iam_check report DIR``.

Records hold ARNs of the template's resources only, never parameters (no personal data):
an SMS is recorded as ``sns:Publish`` on ``*`` (a phone number has no ARN).
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import json
import os
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from local.provision import Provisioned
    from local.template import TemplateModel

RECORD_DIR_ENV = "PC_IAM_RECORD_DIR"
JUSTIFIED_GRANTS = Path(__file__).resolve().parent.parent / "docs" / "iam-grants-justified.yaml"
VIA_SERVICE = "kms:ViaService"
# The only condition this check evaluates; anything else in a role makes it refuse the role.
_SUPPORTED_CONDITIONS = {("StringEquals", VIA_SERVICE)}
# DynamoDB operations that read or write table data, so use the table's KMS key.
_DYNAMODB_DATA = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"}
    | {"BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}
)
# A transaction is authorised item by item, as the single-item action (DynamoDB developer guide,
# "Using IAM with DynamoDB transactions"); there is no TransactWriteItems IAM action.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_SECRET_READS = frozenset({"GetSecretValue"})
_current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pc_iam_function", default=None
)


class IamCheckError(ValueError):
    """A role uses something this check cannot evaluate faithfully."""


# ---------------------------------------------------------------------------- the world
@dataclass(frozen=True)
class Access:
    """One permission a call needs: ``via`` is the service a KMS call is made through."""

    action: str
    resource: str
    via: str = ""


@dataclass(frozen=True)
class Call:
    """One permission checked for one call of one function (what the record files hold)."""

    function: str
    operation: str  # service:Operation as called
    action: str
    resource: str  # physical ARN (or *)
    symbolic: str  # the resource in template terms, e.g. <MembersTable.Arn>/index/byStatus
    via: str
    allowed: bool


@dataclass(frozen=True)
class World:
    """The provisioned resources and every function's role, resolved; plain data (picklable)."""

    region: str
    account: str
    tables: Mapping[str, str]  # name or ARN -> table ARN
    table_keys: Mapping[str, str]  # table ARN -> its customer-managed key ARN
    keys: Mapping[str, str]  # key id, alias name or key ARN -> key ARN
    secrets: Mapping[str, str]  # name or ARN -> secret ARN
    secret_keys: Mapping[str, str]  # secret ARN -> its customer-managed key ARN
    pools: Mapping[str, str]  # user pool id -> ARN
    roles: Mapping[str, Sequence[Mapping[str, Any]]]  # function -> every statement of its role
    inline: Mapping[str, Sequence[Mapping[str, Any]]]  # function -> its inline statements
    symbols: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (physical, token)

    def symbolic(self, text: str) -> str:
        """Physical names and ARNs replaced by the template's logical ids."""
        for physical, token in self.symbols:
            text = text.replace(physical, token)
        return text


@cache
def _aws_managed_policies() -> dict[str, Any]:
    """Every AWS-managed policy moto ships (a large document: parsed once per process)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return dict(json.loads(aws_managed_policies_data))


@cache
def _managed_policy_statements(arn: str) -> tuple[Mapping[str, Any], ...]:
    """An AWS-managed policy's statements, from the copy moto ships (the same in every world:
    read once per process; nothing changes a role's statements)."""
    name = arn.rsplit("/", 1)[-1]
    policies = _aws_managed_policies()
    if not arn.startswith("arn:aws:iam::aws:policy/") or name not in policies:
        raise IamCheckError(f"unknown managed policy {arn}")
    return tuple(_statements_of(policies[name]["Document"]))


def _statements_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return [dict(s) for s in (statements if isinstance(statements, list) else [statements])]


def _checked(function: str, statement: dict[str, Any]) -> dict[str, Any]:
    for element in ("NotAction", "NotResource", "Principal", "NotPrincipal"):
        if element in statement:
            raise IamCheckError(f"{function}: {element} is not evaluated by this check")
    for operator, keys in statement.get("Condition", {}).items():
        for key in keys:
            if (operator, key) not in _SUPPORTED_CONDITIONS:
                raise IamCheckError(f"{function}: condition {operator} {key} is not evaluated")
    return statement


def function_roles(
    model: TemplateModel, provisioned: Provisioned
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """(every statement, inline statements) of each function's role, intrinsics resolved."""
    roles: dict[str, list[dict[str, Any]]] = {}
    inline: dict[str, list[dict[str, Any]]] = {}
    for function, resource in model.of_type("AWS::Lambda::Function").items():
        role_ref = resource.properties.get("Role")
        if not (isinstance(role_ref, Mapping) and "Fn::GetAtt" in role_ref):
            raise IamCheckError(f"{function}: the role must be one of the template's")
        role = model.resources[role_ref["Fn::GetAtt"][0]].properties
        own = [
            _checked(function, statement)
            for policy in role.get("Policies", [])
            for statement in _statements_of(provisioned.resolve(policy["PolicyDocument"]))
        ]
        managed: list[dict[str, Any]] = [
            dict(statement)
            for arn in provisioned.resolve(role.get("ManagedPolicyArns", []))
            for statement in _managed_policy_statements(str(arn))
        ]
        inline[function] = own
        roles[function] = own + managed
    return roles, inline


def build_world(provisioned: Provisioned) -> World:
    """What the check needs to know of a provisioned stack."""
    model = provisioned.model
    region, account = provisioned.region, provisioned.account_id
    keys: dict[str, str] = {}
    for logical_id in model.kms_keys:
        arn = str(provisioned.attribute(logical_id, "Arn"))
        keys.update({arn: arn, str(provisioned.physical_id(logical_id)): arn})
    for alias in model.of_type("AWS::KMS::Alias").values():
        target = str(provisioned.resolve(alias.properties["TargetKeyId"]))
        if target in keys:
            keys[str(alias.properties["AliasName"])] = keys[target]

    def key_arn(key: Any) -> str | None:
        resolved = str(provisioned.resolve(key)) if key is not None else None
        return keys.get(resolved) if resolved else None  # None: an AWS-owned or managed key

    tables: dict[str, str] = {}
    table_keys: dict[str, str] = {}
    for logical_id, table in model.tables.items():
        arn = str(provisioned.attribute(logical_id, "Arn"))
        tables.update({arn: arn, provisioned.physical_id(logical_id): arn})
        sse = table.properties.get("SSESpecification", {})
        cmk = key_arn(sse.get("KMSMasterKeyId")) if sse.get("SSEEnabled") else None
        if cmk:
            table_keys[arn] = cmk
    secrets: dict[str, str] = {}
    secret_keys: dict[str, str] = {}
    for logical_id, secret in model.secrets.items():
        arn = provisioned.physical_id(logical_id)
        name = arn.split(":secret:", 1)[1].rsplit("-", 1)[0]  # the ARN ends in -<6 random>
        secrets.update({arn: arn, name: arn})
        cmk = key_arn(secret.properties.get("KmsKeyId"))
        if cmk:
            secret_keys[arn] = cmk
    pools = {
        provisioned.physical_id(lid): str(provisioned.attribute(lid, "Arn"))
        for lid in model.user_pools
    }
    roles, inline = function_roles(model, provisioned)
    symbols: list[tuple[str, str]] = []
    for logical_id, attributes in provisioned.attributes.items():
        if model.resources[logical_id].type in _SYMBOLIC_TYPES and attributes.get("Arn"):
            symbols.append((str(attributes["Arn"]), f"<{logical_id}.Arn>"))
    for logical_id in (*model.secrets, *model.user_pools, *model.kms_keys):
        symbols.append((provisioned.physical_id(logical_id), f"<{logical_id}>"))
    symbols.sort(key=lambda pair: -len(pair[0]))  # an ARN before the name inside it
    return World(
        region=region,
        account=account,
        tables=tables,
        table_keys=table_keys,
        keys=keys,
        secrets=secrets,
        secret_keys=secret_keys,
        pools=pools,
        roles=roles,
        inline=inline,
        symbols=tuple(symbols),
    )


_SYMBOLIC_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::KMS::Key",
        "AWS::Cognito::UserPool",
        "AWS::SQS::Queue",
        "AWS::Lambda::Function",
    }
)


def function_of_code_dir(model: TemplateModel) -> dict[str, str]:
    """functions/<dir> -> the template function whose CodeUri it is."""
    return {function.code_dir.name: lid for lid, function in model.functions.items()}


# ---------------------------------------------------------------------------- what a call needs
def needed(world: World, service: str, operation: str, params: Mapping[str, Any]) -> list[Access]:
    """Every permission AWS checks for one call, implicit KMS use included."""
    derive = _NEEDS.get(service)
    if derive is None:
        return [Access(f"{service}:{operation}", "*")]
    return derive(world, operation, params)


def _kms(world: World, operation: str, params: Mapping[str, Any]) -> list[Access]:
    key = params.get("KeyId")
    return [Access(f"kms:{operation}", world.keys.get(str(key), str(key)) if key else "*")]


def _secretsmanager(world: World, operation: str, params: Mapping[str, Any]) -> list[Access]:
    secret_id = str(params.get("SecretId", "*"))
    arn = world.secrets.get(secret_id, secret_id)
    accesses = [Access(f"secretsmanager:{operation}", arn)]
    # Secrets Manager decrypts the secret's data key with the caller's permission
    # (Secrets Manager user guide, "Secret encryption and decryption", kms:Decrypt).
    if operation in _SECRET_READS and arn in world.secret_keys:
        via = f"secretsmanager.{world.region}.amazonaws.com"
        accesses.append(Access("kms:Decrypt", world.secret_keys[arn], via))
    return accesses


def _cognito(world: World, operation: str, params: Mapping[str, Any]) -> list[Access]:
    pool = params.get("UserPoolId")
    if not pool:
        return [Access(f"cognito-idp:{operation}", "*")]
    default = f"arn:aws:cognito-idp:{world.region}:{world.account}:userpool/{pool}"
    return [Access(f"cognito-idp:{operation}", world.pools.get(str(pool), default))]


def _sns(_world: World, operation: str, params: Mapping[str, Any]) -> list[Access]:
    target = params.get("TopicArn") or params.get("TargetArn")
    return [Access(f"sns:{operation}", str(target) if target else "*")]  # *: a phone number


def _table_arn(world: World, name: str) -> str:
    return world.tables.get(name) or (
        name
        if name.startswith("arn:")
        else f"arn:aws:dynamodb:{world.region}:{world.account}:table/{name}"
    )


def _dynamodb(world: World, operation: str, params: Mapping[str, Any]) -> list[Access]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        touched = [
            (_TRANSACT_ACTIONS[kind], _table_arn(world, body["TableName"]))
            for item in params.get("TransactItems", [])
            for kind, body in item.items()
        ]
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        touched = [(operation, _table_arn(world, name)) for name in params.get("RequestItems", {})]
    elif "TableName" in params:
        table = _table_arn(world, str(params["TableName"]))
        index = params.get("IndexName")
        target = f"{table}/index/{index}" if index else table
        data = [table] if operation in _DYNAMODB_DATA else []
        return [Access(f"dynamodb:{operation}", target), *_table_keys(world, data)]
    else:
        return [Access(f"dynamodb:{operation}", "*")]
    accesses = [Access(f"dynamodb:{action}", table) for action, table in dict.fromkeys(touched)]
    return accesses + _table_keys(world, [table for _, table in touched])


_NEEDS = {
    "dynamodb": _dynamodb,
    "kms": _kms,
    "secretsmanager": _secretsmanager,
    "cognito-idp": _cognito,
    "sns": _sns,
}


def _table_keys(world: World, tables: Iterable[str]) -> list[Access]:
    """A table under a customer-managed key: DynamoDB decrypts its table key with the caller's
    permission (DynamoDB developer guide, "Authorizing use of your customer managed key")."""
    via = f"dynamodb.{world.region}.amazonaws.com"
    keys = dict.fromkeys(world.table_keys[t] for t in tables if t in world.table_keys)
    return [Access("kms:Decrypt", key, via) for key in keys]


# ---------------------------------------------------------------------------- evaluation
def _context(access: Access) -> dict[str, str] | None:
    # Always say kms:ViaService for KMS actions: moto treats an absent key as satisfying
    # StringEquals, AWS as not; a direct call carries none, given here as "".
    return {VIA_SERVICE: access.via} if access.action.startswith("kms:") else None


def statement_allows(statement: Mapping[str, Any], access: Access) -> bool | None:
    """True: the statement allows; False: it denies explicitly; None: it does not apply."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    result = IAMPolicyStatement(dict(statement)).is_action_permitted(
        access.action, access.resource, None, _context(access)
    )
    if statement.get("Effect") == "Allow":
        # moto answers DENIED for an Allow whose condition fails; IAM ignores that statement.
        return True if result == PermissionResult.PERMITTED else None
    return False if result == PermissionResult.DENIED else None


def allowed(statements: Iterable[Mapping[str, Any]], access: Access) -> bool:
    """IAM's identity-policy logic: an explicit Deny wins, else any Allow, else implicit deny."""
    verdicts = [statement_allows(s, access) for s in statements]
    return False not in verdicts and True in verdicts


# ---------------------------------------------------------------------------- recording
class _State:
    def __init__(self) -> None:
        self.world: World | None = None
        self.enforce = False
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.record_file: Path | None = None
        self.recording = True
        self.keep = True


_state = _State()


def activate(world: World, *, enforce: bool, record: bool = True, keep: bool = True) -> None:
    """Check calls against ``world`` from now on; ``enforce`` refuses disallowed ones;
    ``record`` appends them to the record directory (when one is set); ``keep`` holds them
    for ``drain`` (a long-lived worker that nobody drains keeps nothing)."""
    _state.world = world
    _state.enforce = enforce
    _state.recording = record
    _state.keep = keep
    directory = os.environ.get(RECORD_DIR_ENV)
    if directory and _state.record_file is None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        _state.record_file = Path(directory) / f"calls-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"


def drain() -> list[Call]:
    """The calls recorded since the last drain."""
    with _state.lock:
        calls, _state.calls = _state.calls, []
    return calls


@contextlib.contextmanager
def acting_as(function: str | None) -> Iterator[None]:
    """Attribute the AWS calls made inside to ``function`` (a template logical id); None: to
    nobody, e.g. a test's rival writer running inside a handler's call."""
    token = _current_function.set(function)
    try:
        yield
    finally:
        _current_function.reset(token)


def act_as(function: str) -> None:
    """For a Lambda worker: every call from now on is the function's."""
    _current_function.set(function)


def _on_call(params: Mapping[str, Any], model: Any, **_: Any) -> None:
    function = _current_function.get()
    world = _state.world
    if function is None or world is None:
        return  # test set-up and provisioning are nobody's role
    service = model.service_model.service_name
    calls = [
        Call(
            function=function,
            operation=f"{service}:{model.name}",
            action=access.action,
            resource=access.resource,
            symbolic=world.symbolic(access.resource),
            via=access.via,
            allowed=allowed(world.roles.get(function, ()), access),
        )
        for access in needed(world, service, model.name, params)
    ]
    with _state.lock:
        if _state.keep:
            _state.calls.extend(calls)
        if _state.record_file is not None and _state.recording:
            with _state.record_file.open("a", encoding="utf-8") as out:
                out.writelines(json.dumps(asdict(call)) + "\n" for call in calls)
    refused = [c for c in calls if not c.allowed]
    if refused and _state.enforce:
        from botocore.exceptions import ClientError

        first = refused[0]
        message = (
            f"User: arn:aws:sts::{world.account}:assumed-role/{function}Role/{function} is not"
            f" authorized to perform: {first.action} on resource: {first.resource} because no"
            " identity-based policy allows the action"
        )
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": message}}, model.name
        )


_HANDLER_ID = "partnercenter-iam-check"


def install() -> None:
    """Hook every botocore session, present and future (idempotent)."""
    import boto3
    from botocore import handlers

    entry = ("before-parameter-build", _on_call)
    if entry not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(entry)
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION.events.register(
            "before-parameter-build", _on_call, unique_id=_HANDLER_ID
        )


# ---------------------------------------------------------------------------- the report
@dataclass(frozen=True, order=True)
class Grant:
    """One (function, action, resource) an inline Allow statement gives, in template terms."""

    function: str
    action: str
    resource: str


def grants(world: World) -> dict[Grant, dict[str, Any]]:
    """Every grant of every function's inline policies -> the one-pair statement it comes from."""
    found: dict[Grant, dict[str, Any]] = {}
    for function, statements in world.inline.items():
        for statement in statements:
            if statement.get("Effect") != "Allow":
                continue
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    symbolic = world.symbolic(str(resource))
                    found[Grant(function, str(action), symbolic)] = {
                        **statement,
                        "Action": str(action),
                        "Resource": symbolic,
                    }
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def unexercised(world: World, calls: Iterable[Call]) -> list[Grant]:
    """Grants that no allowed call used (matched in template terms, so runs add up)."""
    used: dict[str, set[tuple[str, str, str]]] = {}
    for call in calls:
        if call.allowed:
            used.setdefault(call.function, set()).add((call.action, call.symbolic, call.via))
    idle = []
    for grant, statement in grants(world).items():
        exercised = any(
            statement_allows(statement, Access(action, resource, via))
            for action, resource, via in used.get(grant.function, ())
        )
        if not exercised:
            idle.append(grant)
    return sorted(idle)


def reevaluated(world: World, calls: Iterable[Call]) -> list[Call]:
    """The calls held to ``world``'s roles (in template terms: records of other runs, or the
    same calls against another version of the template)."""
    roles = {
        function: [
            {**s, "Resource": [world.symbolic(str(r)) for r in _as_list(s["Resource"])]}
            for s in statements
        ]
        for function, statements in world.roles.items()
    }
    return [
        replace(c, allowed=allowed(roles.get(c.function, ()), Access(c.action, c.symbolic, c.via)))
        for c in calls
    ]


def read_records(directory: Path) -> list[Call]:
    return [
        Call(**json.loads(line))
        for path in sorted(directory.glob("calls-*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    ]


def justified(path: Path = JUSTIFIED_GRANTS) -> dict[Grant, str]:
    """Grants no test exercises, each with the reason it stays (docs/iam-grants-justified.yaml)."""
    entries = yaml.safe_load(path.read_text("utf-8")) or []
    return {Grant(e["function"], e["action"], e["resource"]): str(e["why"]) for e in entries}


def report(world: World, calls: Sequence[Call]) -> str:
    """The unused-grants report: counts, refused calls, then each idle grant not justified."""
    calls = reevaluated(world, calls)
    idle = unexercised(world, calls)
    reasons = justified()
    unexplained = [g for g in idle if g not in reasons]
    triples = {(c.function, c.action, c.symbolic) for c in calls}
    refused = sorted(
        {(c.function, c.action, c.symbolic + _via(c.via)) for c in calls if not c.allowed}
    )
    lines = [
        f"IAM check: {len(calls)} permission checks, {len(triples)} distinct"
        f" (function, action, resource), {len(refused)} refused",
        *(f"  REFUSED {f} {a} {r}" for f, a, r in refused),
        f"grants: {len(grants(world))}, unexercised: {len(idle)},"
        f" justified: {len(idle) - len(unexplained)}, neither used nor justified:"
        f" {len(unexplained)}",
        *(f"  UNUSED {g.function} {g.action} {g.resource}" for g in unexplained),
    ]
    return "\n".join(lines)


def _via(service_host: str) -> str:
    return f" via {service_host.split('.')[0]}" if service_host else ""


def template_world(template: Path | None = None) -> World:
    """The template provisioned in an in-process moto, for reports outside a test run."""
    from moto import mock_aws

    from local.provision import provision
    from local.template import DEFAULT_REGION, DEFAULT_TEMPLATE, load_template

    with mock_aws():
        model = load_template(template or DEFAULT_TEMPLATE)
        return build_world(provision(model, region=DEFAULT_REGION))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.iam_check")
    parser.add_argument("command", choices=["report"])
    parser.add_argument("records", type=Path, help=f"the {RECORD_DIR_ENV} of the runs")
    parser.add_argument("--template", type=Path, help="hold the calls to this template instead")
    args = parser.parse_args(argv)
    world = template_world(args.template)
    calls = reevaluated(world, read_records(args.records))
    print(report(world, calls))
    return 1 if any(not c.allowed for c in calls) else 0


if __name__ == "__main__":
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(name, value)
    sys.exit(main())
