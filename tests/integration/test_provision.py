"""local/provision.py: every resource of template.yaml exists in moto, as the template says.

Expectations come from the template model (never a hand list of tables or keys).
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends

from local.lambda_runtime import function_specs
from local.provision import (
    STACK_NAME,
    VENDOR_SECRET_ID,
    Provisioned,
    generate_secret_string,
    provision,
)
from local.template import TemplateError, TemplateModel, load_template

REGION = "ap-northeast-2"


@pytest.fixture(scope="module")
def model() -> TemplateModel:
    return load_template()


@pytest.fixture(scope="module")
def stack(model: TemplateModel) -> Iterator[Provisioned]:
    with mock_aws():
        yield provision(model, region=REGION)


def _client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def test_every_table_exists_with_the_template_schema(
    model: TemplateModel, stack: Provisioned
) -> None:
    dynamodb = _client("dynamodb")
    assert set(stack.tables) == set(model.tables)
    for logical_id, resource in model.tables.items():
        props = stack.resolve(resource.properties)
        name = stack.physical_id(logical_id)
        assert name == f"{STACK_NAME}-{logical_id}"
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == props["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(
            props["AttributeDefinitions"], key=str
        )
        assert table["BillingModeSummary"]["BillingMode"] == props["BillingMode"]
        assert {
            (i["IndexName"], json.dumps(i["KeySchema"]), i["Projection"]["ProjectionType"])
            for i in table.get("GlobalSecondaryIndexes", [])
        } == {
            (i["IndexName"], json.dumps(i["KeySchema"]), i["Projection"]["ProjectionType"])
            for i in props.get("GlobalSecondaryIndexes", [])
        }
        # moto keeps SSE settings but does not describe them back: check what it stored.
        stored = dynamodb_backends[stack.account_id][REGION].tables[name]
        assert stored.sse_specification["KMSMasterKeyId"] == stack.physical_id(
            resource.properties["SSESpecification"]["KMSMasterKeyId"]["Ref"]
        )


def test_ttl_and_point_in_time_recovery_are_applied(
    model: TemplateModel, stack: Provisioned
) -> None:
    dynamodb = _client("dynamodb")
    with_ttl = 0
    for logical_id, resource in model.tables.items():
        name = stack.physical_id(logical_id)
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        spec = resource.properties.get("TimeToLiveSpecification")
        if spec:
            with_ttl += 1
            assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": spec["AttributeName"]}
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"
        pitr = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"][
            "PointInTimeRecoveryDescription"
        ]
        spec = resource.properties["PointInTimeRecoverySpecification"]
        assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
        assert pitr["RecoveryPeriodInDays"] == spec.get("RecoveryPeriodInDays", 35)
    assert with_ttl >= 1


def test_keys_exist_with_description_and_rotation(model: TemplateModel, stack: Provisioned) -> None:
    kms = _client("kms")
    for logical_id, resource in model.kms_keys.items():
        key_id = stack.physical_id(logical_id)
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert metadata["Description"] == resource.properties["Description"]
        assert metadata["Arn"] == stack.attribute(logical_id, "Arn")
        rotation = kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
        assert rotation == resource.properties.get("EnableKeyRotation", False)


def test_secrets_exist_with_values_generated_as_declared(
    model: TemplateModel, stack: Provisioned
) -> None:
    manager = _client("secretsmanager")
    for logical_id, resource in model.secrets.items():
        arn = stack.physical_id(logical_id)
        spec = resource.properties["GenerateSecretString"]
        described = manager.describe_secret(SecretId=arn)
        assert described["KmsKeyId"] == stack.resolve(resource.properties["KmsKeyId"])
        value = manager.get_secret_value(SecretId=arn)["SecretString"]
        if "SecretStringTemplate" in spec:
            document = json.loads(value)
            generated = document.pop(spec["GenerateStringKey"])
            assert document == json.loads(spec["SecretStringTemplate"])
        else:
            generated = value
        assert len(generated) == spec["PasswordLength"]
        if spec.get("ExcludePunctuation"):
            assert set(generated) <= set(string.ascii_letters + string.digits)
    assert stack.vendor_credentials is None  # tests in process get no seeded vendor secret


def test_user_pool_client_and_groups_follow_the_template(
    model: TemplateModel, stack: Provisioned
) -> None:
    cognito = _client("cognito-idp")
    ((pool_logical_id, pool_resource),) = model.user_pools.items()
    pool_id = stack.physical_id(pool_logical_id)
    pool_props = stack.resolve(pool_resource.properties)
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == pool_props["UserPoolName"]
    assert pool["Policies"]["PasswordPolicy"] == pool_props["Policies"]["PasswordPolicy"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    for logical_id, resource in model.user_pool_clients.items():
        client = cognito.describe_user_pool_client(
            UserPoolId=pool_id, ClientId=stack.physical_id(logical_id)
        )["UserPoolClient"]
        assert client["ExplicitAuthFlows"] == resource.properties["ExplicitAuthFlows"]
        assert "ClientSecret" not in client
    groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    assert groups == {r.properties["GroupName"] for r in model.user_pool_groups.values()}


def test_log_groups_exist(model: TemplateModel, stack: Provisioned) -> None:
    logs = _client("logs")
    for logical_id in model.of_type("AWS::Logs::LogGroup"):
        name = stack.physical_id(logical_id)
        (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        assert group["logGroupName"] == name
    assert stack.not_created == {}  # every type of the template is created or emulated


def test_function_environment_is_resolved_to_what_exists(
    model: TemplateModel, stack: Provisioned
) -> None:
    table_names = set(stack.tables.values())
    for function_id, function in model.functions.items():
        env = stack.function_environment(function_id)
        assert set(env) == set(function.environment)
        assert all(isinstance(v, str) for v in env.values())
        assert env["MEMBERS_TABLE"] in table_names
        assert env["USER_POOL_ID"] == stack.physical_id("UserPool")
        assert env["STAGE"] == model.parameter_defaults()["Stage"]
    env = stack.function_environment("IdentityVerificationFunction")
    # PublicBaseUrl defaults to empty, so the condition picks the API's own URL.
    api_id = stack.physical_id("PartnerCenterApi")
    assert env["PUBLIC_BASE_URL"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev"
    assert env["VENDOR_SECRET"] == stack.physical_id(VENDOR_SECRET_ID)


def test_workers_get_only_their_function_environment(stack: Provisioned) -> None:
    specs = function_specs(stack, aws_endpoint_url="http://127.0.0.1:1", region=REGION)
    env = specs["PolicyFunction"].environment
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert env["PC_LOCAL_STACK"] == "1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == stack.physical_id("PolicyFunction")
    assert env["POWERTOOLS_SERVICE_NAME"] == "policy"
    assert "HOME" not in env
    assert "PYTHONPATH" not in env
    assert "VENDOR_SECRET" not in env  # another function's variable


def test_overrides_seeding_and_parameter_checks(model: TemplateModel, stack: Provisioned) -> None:
    # Another region of the same moto: the module's stack stays untouched.
    other_region = "us-west-2"
    seeded_stack = provision(
        model,
        region=other_region,
        parameter_overrides={"PublicBaseUrl": "http://127.0.0.1:3000", "Stage": "prod"},
        seed_vendor_secret=True,
    )
    env = seeded_stack.function_environment("IdentityVerificationFunction")
    assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:3000"
    assert env["STAGE"] == "prod"
    cognito = boto3.client("cognito-idp", region_name=other_region)
    pool = cognito.describe_user_pool(UserPoolId=seeded_stack.physical_id("UserPool"))
    assert pool["UserPool"]["DeletionProtection"] == "ACTIVE"  # !If [IsProd, ...]
    manager = boto3.client("secretsmanager", region_name=other_region)
    seeded = json.loads(manager.get_secret_value(SecretId=env["VENDOR_SECRET"])["SecretString"])
    assert seeded == seeded_stack.vendor_credentials
    assert {"cpId", "urlCode", "cipherKey", "storeId", "apiSecret"} <= set(seeded)
    assert seeded["cipher"] == "simulator"  # the local stack seals with the simulator's cipher
    assert len(base64.urlsafe_b64decode(seeded["cipherKey"])) == 32
    with pytest.raises(TemplateError, match="unknown"):
        provision(model, region=REGION, parameter_overrides={"Nope": "x"})
    with pytest.raises(TemplateError, match="must be one of"):
        provision(model, region=REGION, parameter_overrides={"Stage": "qa"})


def test_generate_secret_string_semantics() -> None:
    value = generate_secret_string({"PasswordLength": 40, "ExcludeCharacters": "abc"})
    assert len(value) == 40
    assert not set(value) & set("abc")
    # RequireEachIncludedType (default): each included kind appears at least once.
    for kind in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        assert set(value) & set(kind)
    assert set(value) - set(string.ascii_letters + string.digits)  # punctuation
    digits = generate_secret_string(
        {
            "PasswordLength": 12,
            "ExcludeLowercase": True,
            "ExcludeUppercase": "true",
            "ExcludePunctuation": True,
        }
    )
    assert digits.isdigit()
    assert len(digits) == 12
    with pytest.raises(TemplateError):
        generate_secret_string({"ExcludeCharacters": string.printable})
