"""`make smoke`'s plumbing: a deployed stack's API URL, pool and client from describe-stacks.

The answer under tests/unit/data is in the exact shape the AWS CLI prints (`aws cloudformation
describe-stacks --stack-name partnercenter-dev`); the first test holds it to botocore's model of
DescribeStacks, so it cannot drift into something AWS never answers.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator
from moto import mock_aws

from local.template import DEFAULT_TEMPLATE, load_cfn_yaml
from tests.conftest import REGION
from tests.e2e.deployed import OUTPUTS, DeployedStack, StackNotUsable, from_describe_stacks, resolve

RECORDED = Path(__file__).parent / "data" / "describe-stacks-partnercenter-dev.json"
STACK = "partnercenter-dev"


@pytest.fixture
def answer() -> dict[str, Any]:
    return dict(json.loads(RECORDED.read_text("utf-8")))


def test_the_recorded_answer_is_what_describe_stacks_returns(answer: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("cloudformation")
    shape = model.operation_model("DescribeStacks").output_shape
    report = ParamValidator().validate(answer, shape)
    assert not report.has_errors(), report.generate_report()


def test_the_template_declares_every_output_the_smoke_reads() -> None:
    template = load_cfn_yaml(DEFAULT_TEMPLATE.read_text("utf-8"))
    assert set(OUTPUTS) <= set(template["Outputs"])


def test_the_stack_is_found_from_its_outputs_in_its_own_region(answer: dict[str, Any]) -> None:
    assert from_describe_stacks(answer, STACK) == DeployedStack(
        name=STACK,
        region="ap-northeast-2",
        api_url="https://a1b2c3d4e5.execute-api.ap-northeast-2.amazonaws.com/dev",
        user_pool_id="ap-northeast-2_Ab3dEf9Gh",
        client_id="5k3ubq1d7v2h8n0q4r6s9t1u3w",
    )
    # The stack id names it too (describe-stacks takes either).
    stack_id = answer["Stacks"][0]["StackId"]
    assert from_describe_stacks(answer, stack_id).name == STACK


@pytest.mark.parametrize(
    "status",
    ["ROLLBACK_COMPLETE", "CREATE_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED", "DELETE_COMPLETE"],
)
def test_a_stack_that_is_not_working_is_refused(answer: dict[str, Any], status: str) -> None:
    answer["Stacks"][0]["StackStatus"] = status
    with pytest.raises(StackNotUsable, match=status):
        from_describe_stacks(answer, STACK)


def test_a_missing_output_is_named(answer: dict[str, Any]) -> None:
    stack = answer["Stacks"][0]
    stack["Outputs"] = [o for o in stack["Outputs"] if o["OutputKey"] != "UserPoolClientId"]
    with pytest.raises(StackNotUsable, match="no output UserPoolClientId"):
        from_describe_stacks(answer, STACK)


def test_another_stacks_answer_is_refused(answer: dict[str, Any]) -> None:
    with pytest.raises(StackNotUsable, match="partnercenter-prod"):
        from_describe_stacks(answer, "partnercenter-prod")
    twice = copy.deepcopy(answer)
    twice["Stacks"].append(answer["Stacks"][0])
    with pytest.raises(StackNotUsable):
        from_describe_stacks(twice, STACK)


def test_resolve_asks_cloudformation_for_the_named_stack() -> None:
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "ApiUrl": {"Value": "https://abc.execute-api.ap-northeast-2.amazonaws.com/dev/"},
            "UserPoolId": {"Value": "ap-northeast-2_pool"},
            "UserPoolClientId": {"Value": "client"},
        },
    }
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
        stack = resolve(STACK, cloudformation)
        with pytest.raises(StackNotUsable, match="does not exist"):
            resolve("partnercenter-missing", cloudformation)
    assert (stack.region, stack.user_pool_id, stack.client_id) == (
        REGION,
        "ap-northeast-2_pool",
        "client",
    )
    assert stack.api_url == "https://abc.execute-api.ap-northeast-2.amazonaws.com/dev"
