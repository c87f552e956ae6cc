"""R-RET-5 over template.yaml: only the functions that serve a retention reason reach separated
storage (RetainedTable and RetainedKey), and each only as far as its reason needs.

The template is read with the local stack's loader (the real SAM translator), so policy
templates such as DynamoDBCrudPolicy are checked as the IAM statements they become. Every
role's statements are evaluated like IAM does for Allow: action and resource patterns with
wildcards; anything this check cannot reason about (NotAction, NotResource, unknown managed
policies) fails it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import pytest

from local.template import TemplateModel

REGION, ACCOUNT = "ap-northeast-2", "123456789012"
RETAINED_TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/<RetainedTable>"
RETAINED_INDEXES = {
    "byDue": f"{RETAINED_TABLE}/index/byDue",
    "byPhoneHash": f"{RETAINED_TABLE}/index/byPhoneHash",
}
RETAINED_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/<RetainedKey>"
DYNAMODB_ACTIONS = [
    f"dynamodb:{a}"
    for a in [
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "ConditionCheckItem",
        "DescribeTable",
        "PartiQLSelect",
        "PartiQLInsert",
        "PartiQLUpdate",
        "PartiQLDelete",
        "ExportTableToPointInTime",
        "RestoreTableToPointInTime",
        "CreateBackup",
        "UpdateTable",
        "DeleteTable",
        "GetRecords",
        "GetShardIterator",
        "DescribeStream",
    ]
]
KMS_ACTIONS = [
    f"kms:{a}"
    for a in [
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
        "CreateGrant",
        "DescribeKey",
        "ScheduleKeyDeletion",
        "DisableKey",
        "PutKeyPolicy",
    ]
]
# AWS-managed policies SAM attaches; none of them grants DynamoDB or KMS.
KNOWN_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _arn(model: TemplateModel, logical_id: str) -> str:
    kind = model.resources[logical_id].type
    if kind == "AWS::DynamoDB::Table":
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/<{logical_id}>"
    if kind == "AWS::KMS::Key":
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/<{logical_id}>"
    return f"arn:aws:other:{REGION}:{ACCOUNT}:<{logical_id}>"


def _render(model: TemplateModel, value: Any) -> str:
    """A resource expression as an ARN pattern; ``<Id>`` stands for a resource's name."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        name = value["Ref"]
        pseudo = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
        return pseudo.get(name) or f"<{name}>"
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        assert attribute == "Arn", value
        return _arn(model, logical_id)
    if "Fn::Sub" in value:
        argument = value["Fn::Sub"]
        text, own = (argument, {}) if isinstance(argument, str) else argument
        names = {k: _render(model, v) for k, v in own.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in names:
                return names[name]
            if name.endswith(".Arn"):
                return _arn(model, name[: -len(".Arn")])
            return _render(model, {"Ref": name})

        return _SUB_VARIABLE.sub(replace, text)
    raise AssertionError(f"cannot reason about the resource expression {value}")


def _statements(model: TemplateModel) -> Iterator[tuple[str, dict[str, Any]]]:
    """(principal, statement) for every IAM statement of the template."""
    role_of_function = {
        f.properties["Role"]["Fn::GetAtt"][0]: logical_id
        for logical_id, f in model.of_type("AWS::Lambda::Function").items()
    }
    for logical_id, role in model.of_type("AWS::IAM::Role").items():
        principal = role_of_function.get(logical_id, logical_id)
        for arn in role.properties.get("ManagedPolicyArns", []):
            assert arn in KNOWN_MANAGED, f"{principal}: unknown managed policy {arn}"
        for policy in role.properties.get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield principal, statement
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for logical_id, policy in model.of_type(kind).items():
            for statement in policy.properties["PolicyDocument"]["Statement"]:
                yield logical_id, statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(model: TemplateModel, statement: dict[str, Any], action: str, resource: str) -> bool:
    assert "NotAction" not in statement, statement
    assert "NotResource" not in statement, statement
    if statement.get("Effect") != "Allow":
        return False
    actions = [a.lower() for a in _as_list(statement["Action"])]
    resources = [_render(model, r) for r in _as_list(statement["Resource"])]
    return any(fnmatchcase(action.lower(), a) for a in actions) and any(
        fnmatchcase(resource, r) for r in resources
    )


def permissions(
    model: TemplateModel, actions: list[str], resources: list[str]
) -> dict[str, set[tuple[str, str]]]:
    """principal -> the (action, resource) pairs it is allowed, among those probed."""
    allowed: dict[str, set[tuple[str, str]]] = {}
    for principal, statement in _statements(model):
        for action in actions:
            for resource in resources:
                if grants(model, statement, action, resource):
                    allowed.setdefault(principal, set()).add((action, resource))
    return allowed


@pytest.fixture(scope="module")
def retained_table_access(template_model: TemplateModel) -> dict[str, set[tuple[str, str]]]:
    return permissions(
        template_model, DYNAMODB_ACTIONS, [RETAINED_TABLE, *RETAINED_INDEXES.values()]
    )


def test_only_the_retention_functions_reach_the_retained_table(retained_table_access) -> None:
    # R-RET-5, R-USE-1: retained data is reachable only by the code serving its retention reason.
    assert set(retained_table_access) == {
        "WithdrawalFunction",
        "RetentionPurgeFunction",
        "HoldsFunction",
        "AdminFunction",
    }


def test_holds_move_due_times_and_never_read_retained_items_in_bulk(retained_table_access) -> None:
    # R-RET-5: GetItem (projected bookkeeping), UpdateItem (due time) and the ConditionCheck
    # that a live member has not withdrawn meanwhile; no Query, Scan, Put or Delete, no index.
    assert retained_table_access["HoldsFunction"] == {
        ("dynamodb:GetItem", RETAINED_TABLE),
        ("dynamodb:UpdateItem", RETAINED_TABLE),
        ("dynamodb:ConditionCheckItem", RETAINED_TABLE),
    }


def test_operators_only_ask_whether_a_phone_is_retained(retained_table_access) -> None:
    # R-RET-5, R-RET-2: fraud prevention's one question, via the phone index (withdrawal time only).
    assert retained_table_access["AdminFunction"] == {
        ("dynamodb:Query", RETAINED_INDEXES["byPhoneHash"])
    }


def test_only_withdrawal_uses_the_retained_key_and_only_to_make_data_keys(template_model) -> None:
    # R-RET-5: no function can decrypt separated storage's data keys.
    assert permissions(template_model, KMS_ACTIONS, [RETAINED_KEY]) == {
        "WithdrawalFunction": {("kms:GenerateDataKey", RETAINED_KEY)}
    }


def test_the_retained_table_is_encrypted_at_rest_with_its_own_key(template_model) -> None:
    # R-RET-5, R-SEC-1: its own KMS key, not the live tables' one.
    sse = template_model.resources["RetainedTable"].properties["SSESpecification"]
    assert sse["KMSMasterKeyId"] == {"Ref": "RetainedKey"}
    for logical_id, table in template_model.tables.items():
        if logical_id != "RetainedTable":
            assert table.properties["SSESpecification"]["KMSMasterKeyId"] != {"Ref": "RetainedKey"}


def test_the_check_sees_wildcards_and_refuses_what_it_cannot_reason_about(template_model) -> None:
    broad = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    assert grants(template_model, broad, "dynamodb:Scan", RETAINED_TABLE)
    other = {
        "Effect": "Allow",
        "Action": "dynamodb:*",
        "Resource": {"Fn::GetAtt": ["MembersTable", "Arn"]},
    }
    assert not grants(template_model, other, "dynamodb:Scan", RETAINED_TABLE)
    index_wildcard = {
        "Effect": "Allow",
        "Action": ["dynamodb:Query"],
        "Resource": {"Fn::Sub": "${RetainedTable.Arn}/index/*"},
    }
    assert grants(template_model, index_wildcard, "dynamodb:Query", RETAINED_INDEXES["byDue"])
    with pytest.raises(AssertionError):
        grants(template_model, {**broad, "NotResource": "x"}, "dynamodb:Scan", RETAINED_TABLE)


def _table_arn(logical_id: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/<{logical_id}>"


def test_every_member_route_may_read_what_the_session_check_reads(template_model) -> None:
    # The local stack does not enforce IAM, so this is where a missing grant would show:
    # members.session.current_member reads the member and the published policy versions
    # on every member route (R-CK-1, R-NOT-1).
    needed = [
        ("dynamodb:GetItem", _table_arn("MembersTable")),
        ("dynamodb:Query", _table_arn("PolicyVersionsTable")),
    ]
    member_functions = {
        route.function
        for route in template_model.routes
        if route.authorizer is not None and route.path.startswith("/members/me")
    }
    assert member_functions  # the route table has member routes
    allowed = permissions(template_model, [a for a, _ in needed], [r for _, r in needed])
    for function in sorted(member_functions):
        missing = set(needed) - allowed.get(function, set())
        assert not missing, f"{function} serves member routes but may not {sorted(missing)}"


def test_operator_routes_take_only_operators_pool_tokens_and_may_run_the_operator_check(
    template_model,
) -> None:
    # R-SEC-2: /admin routes accept only the operators' pool, which demands TOTP at every
    # sign-in; no other route accepts it. The local stack does not enforce IAM, so a missing
    # grant for partnercenter.operators' request-time check would show only here.
    pool = template_model.resources["OperatorPool"].properties
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    for route in template_model.routes:
        operator_route = route.path.startswith("/admin/")
        assert (route.authorizer == "OperatorsAuthorizer") == operator_route, route
    operator_pool = _arn(template_model, "OperatorPool")
    sessions = _table_arn("OperatorSessionsTable")
    needed = {
        ("cognito-idp:AdminGetUser", operator_pool),
        ("cognito-idp:AdminListGroupsForUser", operator_pool),
        ("dynamodb:GetItem", sessions),
    }
    allowed = permissions(template_model, [a for a, _ in needed], [operator_pool, sessions])
    sign_out = {("POST", "/admin/sign-out")}
    checked = {
        r.function
        for r in template_model.routes
        if r.path.startswith("/admin/") and (r.method, r.path) not in sign_out
    }
    assert len(checked) >= 7
    for function in sorted(checked):
        missing = needed - allowed.get(function, set())
        assert not missing, f"{function} serves operator routes but may not {sorted(missing)}"
    signing_out = permissions(
        template_model,
        ["dynamodb:UpdateItem", "cognito-idp:AdminUserGlobalSignOut"],
        [sessions, operator_pool],
    )
    assert {
        ("dynamodb:UpdateItem", sessions),
        ("cognito-idp:AdminUserGlobalSignOut", operator_pool),
    } <= signing_out["SessionFunction"]
