"""Least privilege over template.yaml: no function reaches a table, index, key, secret or user
pool its code never uses, and separated storage (R-RET-5) only as far as its reason needs.

Each role is read as the SAM translator expands it (policy templates become statements) and
evaluated by the same check that holds every AWS call of the tests and the local stack to it
(local/iam_check.py, moto's IAM evaluator). What each role reaches is compared with
tests/unit/iam_reach.yaml, the map of what each function's code uses (the calls the IAM check
recorded, docs/iam-proof.md); a broader grant, or a narrower one, changes that map knowingly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from local import iam_check
from local.iam_check import Access, World
from local.template import TemplateModel

REGION, ACCOUNT = "ap-northeast-2", "123456789012"
REACH = Path(__file__).with_name("iam_reach.yaml")
VIA = {
    "": "",
    "dynamodb": f"dynamodb.{REGION}.amazonaws.com",
    "secretsmanager": f"secretsmanager.{REGION}.amazonaws.com",
}
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
SECRETS_ACTIONS = [
    f"secretsmanager:{a}"
    for a in ["GetSecretValue", "DescribeSecret", "PutSecretValue", "UpdateSecret", "DeleteSecret"]
]
COGNITO_ACTIONS = [
    f"cognito-idp:{a}"
    for a in [
        "ListUsers",
        "AdminGetUser",
        "AdminCreateUser",
        "AdminSetUserPassword",
        "AdminDisableUser",
        "AdminEnableUser",
        "AdminDeleteUser",
        "AdminUserGlobalSignOut",
        "AdminUpdateUserAttributes",
        "AdminAddUserToGroup",
        "AdminListGroupsForUser",
        "DeleteUserPool",
    ]
]
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:any-topic"


def _probes(model: TemplateModel) -> list[tuple[str, str, str]]:
    """(action, resource in template terms, via) for every resource a role could reach."""
    probes: list[tuple[str, str, str]] = []
    for logical_id, table in model.tables.items():
        arns = [f"<{logical_id}.Arn>"] + [
            f"<{logical_id}.Arn>/index/{index['IndexName']}"
            for index in table.properties.get("GlobalSecondaryIndexes", [])
            + table.properties.get("LocalSecondaryIndexes", [])
        ]
        probes += [(action, arn, "") for arn in arns for action in DYNAMODB_ACTIONS]
    for logical_id in model.kms_keys:
        probes += [(a, f"<{logical_id}.Arn>", via) for a in KMS_ACTIONS for via in VIA]
    for logical_id in model.secrets:
        probes += [(a, f"<{logical_id}>", "") for a in SECRETS_ACTIONS]
    for logical_id in model.user_pools:
        probes += [(a, f"<{logical_id}.Arn>", "") for a in COGNITO_ACTIONS]
    probes += [("sns:Publish", "*", ""), ("sns:Publish", TOPIC, "")]
    return probes


def reach(world: World, model: TemplateModel) -> dict[str, dict[str, list[str]]]:
    """function -> resource -> the actions its role allows there (``action via service``)."""
    roles = {
        function: [
            {**s, "Resource": [world.symbolic(str(r)) for r in iam_check._as_list(s["Resource"])]}
            for s in statements
        ]
        for function, statements in world.roles.items()
    }
    found: dict[str, dict[str, list[str]]] = {}
    for function, statements in sorted(roles.items()):
        for action, resource, via in _probes(model):
            if iam_check.allowed(statements, Access(action, resource, VIA[via])):
                label = f"{action} via {via}" if via else action
                found.setdefault(function, {}).setdefault(resource, []).append(label)
    return found


@pytest.fixture(scope="module")
def world() -> World:
    return iam_check.template_world()


@pytest.fixture(scope="module")
def reached(world: World, template_model: TemplateModel) -> dict[str, dict[str, list[str]]]:
    return reach(world, template_model)


def test_no_function_reaches_what_its_code_never_uses(reached) -> None:
    # R-USE-1, R-SEC-1: each role is exactly the map of what its function's code uses.
    expected = yaml.safe_load(REACH.read_text("utf-8"))
    for function in sorted(set(expected) | set(reached)):
        assert reached.get(function) == expected.get(function), function


def _retained(reached: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    return {
        function: {r: a for r, a in resources.items() if r.startswith("<RetainedTable.Arn>")}
        for function, resources in reached.items()
        if any(r.startswith("<RetainedTable.Arn>") for r in resources)
    }


def test_only_the_retention_functions_reach_the_retained_table(reached) -> None:
    # R-RET-5, R-USE-1: retained data is reachable only by the code serving its retention reason.
    # RightsFunction: a deletion request answered done is the withdrawal (rights/acts.py).
    assert set(_retained(reached)) == {
        "WithdrawalFunction",
        "RightsFunction",
        "RetentionPurgeFunction",
        "HoldsFunction",
        "AdminFunction",
        "RetainedDataReadFunction",
    }


def test_the_retained_data_read_opens_one_subject_by_key(reached) -> None:
    # R-RET-5: the read for a hold's purpose gets one record by its key; no Query, Scan or index.
    assert _retained(reached)["RetainedDataReadFunction"] == {
        "<RetainedTable.Arn>": ["dynamodb:GetItem"]
    }
    assert reached["RetainedDataReadFunction"]["<DataKeysTable.Arn>"] == ["dynamodb:GetItem"]


def test_holds_move_due_times_and_never_read_retained_items_in_bulk(reached) -> None:
    # R-RET-5: GetItem (projected bookkeeping), UpdateItem (due time) and the ConditionCheck
    # that a live member has not withdrawn meanwhile; no Query, Scan, Put or Delete, no index.
    assert _retained(reached)["HoldsFunction"] == {
        "<RetainedTable.Arn>": [
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
            "dynamodb:ConditionCheckItem",
        ]
    }


def test_operators_only_ask_whether_a_phone_is_retained(reached) -> None:
    # R-RET-5, R-RET-2: fraud prevention's one question, via the phone index (withdrawal time only).
    assert _retained(reached)["AdminFunction"] == {
        "<RetainedTable.Arn>/index/byPhoneHash": ["dynamodb:Query"]
    }


def test_only_the_retained_data_read_can_decrypt_retained_data_keys(reached) -> None:
    # R-RET-5: withdrawal makes retained data keys (GenerateDataKey, never Decrypt); exactly
    # one function, the read for a hold's purpose, can open them. The others read the retained
    # table, whose key they need too, only through DynamoDB (kms:ViaService), which never
    # hands out key material.
    reader = "RetainedDataReadFunction"
    uses = {
        function: set(resources["<RetainedKey.Arn>"])
        for function, resources in reached.items()
        if "<RetainedKey.Arn>" in resources
    }
    direct = {f: {a for a in actions if " via " not in a} for f, actions in uses.items()}
    assert {f: a for f, a in direct.items() if a} == {
        "WithdrawalFunction": {"kms:GenerateDataKey"},
        "RightsFunction": {"kms:GenerateDataKey"},  # a done deletion request withdraws
        reader: {"kms:Decrypt"},
    }
    assert set(uses) == set(_retained(reached))
    for function, actions in uses.items():
        decrypts = {a for a in actions if a.startswith("kms:Decrypt")}
        if function == reader:
            # An unconditioned Decrypt is allowed directly and through any service.
            assert "kms:Decrypt" in decrypts
            assert actions == {
                "kms:Decrypt",
                "kms:Decrypt via dynamodb",
                "kms:Decrypt via secretsmanager",
            }
            continue
        assert decrypts == {"kms:Decrypt via dynamodb"}, function
        # An unconditioned GenerateDataKey is allowed through any service, so it shows thrice.
        assert {a for a in actions if not a.startswith("kms:Decrypt")} <= {
            "kms:GenerateDataKey",
            "kms:GenerateDataKey via dynamodb",
            "kms:GenerateDataKey via secretsmanager",
        }, function


def test_the_retained_table_is_encrypted_at_rest_with_its_own_key(template_model) -> None:
    # R-RET-5, R-SEC-1: its own KMS key, not the live tables' one.
    sse = template_model.resources["RetainedTable"].properties["SSESpecification"]
    assert sse["KMSMasterKeyId"] == {"Ref": "RetainedKey"}
    for logical_id, table in template_model.tables.items():
        if logical_id != "RetainedTable":
            assert table.properties["SSESpecification"]["KMSMasterKeyId"] != {"Ref": "RetainedKey"}


def test_access_records_are_append_only_for_every_writer(reached) -> None:
    # R-SEC-2: writers append (PutItem, conditioned in dal/access_records.py) and read the
    # chain's head (Query); none can rewrite or delete a record.
    records = {
        function: set(resources["<AccessRecordsTable.Arn>"])
        for function, resources in reached.items()
        if "<AccessRecordsTable.Arn>" in resources
    }
    writers = {f for f, actions in records.items() if "dynamodb:PutItem" in actions}
    assert writers
    for function in writers:
        assert records[function] == {"dynamodb:PutItem", "dynamodb:Query"}, function
    # The anchoring job reads chain heads by key too; reading is not rewriting.
    for actions in records.values():
        assert actions <= {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:GetItem"}


def test_text_messages_go_to_phone_numbers_only(reached) -> None:
    # Notices and privacy-request answers (R-RIGHT-3) are texted to members' phones; no role
    # may publish to a topic or endpoint.
    senders = {f for f, resources in reached.items() if "sns:Publish" in resources.get("*", [])}
    assert senders == {"NoticesFunction", "RightsFunction"}
    assert not any(TOPIC in resources for resources in reached.values())


def test_every_function_may_decrypt_the_secrets_it_reads(reached) -> None:
    # The gaps of issue 12: a secret under MembersKey is unreadable without kms:Decrypt on it.
    for function, resources in reached.items():
        secrets = [r for r in resources if r.endswith("Secret>")]
        if secrets:
            assert "kms:Decrypt via secretsmanager" in resources["<MembersKey.Arn>"], function


def test_the_grants_left_unexercised_are_justified_and_current(world) -> None:
    # Each entry names a grant the template still gives, with its reason (docs/iam-proof.md).
    reasons = iam_check.justified()
    assert reasons
    current = iam_check.grants(world)
    for grant, why in reasons.items():
        assert grant in current, grant
        assert len(why.split()) >= 5, grant


# Sign-out and withdrawal pass require_policy_consent=False (members/session.py): a member
# may leave whatever they think of a new policy, so those routes never read the versions.
LEAVING_WITHOUT_POLICY_GATE = {"SessionFunction", "WithdrawalFunction"}


def test_the_session_check_is_readable_from_every_member_route(reached, template_model) -> None:
    # members.session.current_member reads the member on every member route, and the published
    # policy versions wherever the consent gate applies (R-CK-1, R-NOT-1).
    member_functions = {
        route.function
        for route in template_model.routes
        if route.authorizer is not None and route.path.startswith("/members/me")
    }
    assert member_functions > LEAVING_WITHOUT_POLICY_GATE
    for function in sorted(member_functions):
        assert "dynamodb:GetItem" in reached[function]["<MembersTable.Arn>"], function
        if function not in LEAVING_WITHOUT_POLICY_GATE:
            assert "dynamodb:Query" in reached[function]["<PolicyVersionsTable.Arn>"], function


def test_operator_routes_take_only_operators_pool_tokens_and_may_run_the_operator_check(
    reached, template_model
) -> None:
    # R-SEC-2: /admin routes accept only the operators' pool, which demands TOTP at every
    # sign-in; no other route accepts it. Every function behind them may ask Cognito and the
    # sessions table whether the operator is still in the group, enrolled and signed in.
    pool = template_model.resources["OperatorPool"].properties
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    for route in template_model.routes:
        operator_route = route.path.startswith("/admin/")
        assert (route.authorizer == "OperatorsAuthorizer") == operator_route, route
    checked = {
        r.function
        for r in template_model.routes
        if r.path.startswith("/admin/") and (r.method, r.path) != ("POST", "/admin/sign-out")
    }
    assert len(checked) >= 7
    for function in sorted(checked):
        grants = reached[function]
        assert {"cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser"} <= set(
            grants["<OperatorPool.Arn>"]
        ), function
        assert "dynamodb:GetItem" in grants["<OperatorSessionsTable.Arn>"], function
    session = reached["SessionFunction"]
    assert "dynamodb:UpdateItem" in session["<OperatorSessionsTable.Arn>"]
    assert "cognito-idp:AdminUserGlobalSignOut" in session["<OperatorPool.Arn>"]


if __name__ == "__main__":  # python -m tests.unit.test_template_iam > tests/unit/iam_reach.yaml
    from local.template import load_template

    print(yaml.safe_dump(reach(iam_check.template_world(), load_template()), width=100), end="")
