"""The local stack's workers hold every AWS call to their function's role, as AWS does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.iam_check import World
from local.lambda_runtime import FunctionSpec, LambdaRuntime

TABLE_ARN = "arn:aws:dynamodb:ap-northeast-2:123456789012:table/{}"
HANDLER = """
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError


def read(event, context):
    dynamodb = boto3.client("dynamodb", config=Config(retries={"max_attempts": 1}))
    try:
        dynamodb.get_item(TableName=event["table"], Key={"k": {"S": "v"}})
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    except EndpointConnectionError:
        return "sent"  # allowed, so it went out (to a port nobody listens on)
    return "answered"
"""


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[LambdaRuntime]:
    code = tmp_path / "function"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    world = World(
        region="ap-northeast-2",
        account="123456789012",
        tables={name: TABLE_ARN.format(name) for name in ("mine", "theirs")},
        table_keys={},
        keys={},
        secrets={},
        secret_keys={},
        pools={},
        roles={
            "ReaderFunction": [
                {
                    "Effect": "Allow",
                    "Action": "dynamodb:GetItem",
                    "Resource": TABLE_ARN.format("mine"),
                }
            ]
        },
        inline={},
    )
    spec = FunctionSpec(
        name="ReaderFunction",
        physical_name="reader",
        arn="arn:aws:lambda:ap-northeast-2:123456789012:function:reader",
        code_dir=str(code),
        layer_dirs=(),
        handler_module="app",
        handler_function="read",
        timeout=10,
        memory_size=256,
        environment={
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/reader",
            "AWS_DEFAULT_REGION": "ap-northeast-2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # nosec B105 - nothing real
            "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
            "PC_IAM_RECORD_DIR": str(tmp_path / "records"),
        },
        iam_world=world,
    )
    runtime = LambdaRuntime({"ReaderFunction": spec}, max_workers=1)
    yield runtime
    runtime.shutdown()


def test_a_call_outside_the_role_is_refused_before_it_is_sent(
    runtime: LambdaRuntime, tmp_path: Path
) -> None:
    refused = runtime.invoke("ReaderFunction", {"table": "theirs"})
    assert json.loads(refused.payload) == "AccessDeniedException"
    allowed = runtime.invoke("ReaderFunction", {"table": "mine"})
    assert json.loads(allowed.payload) == "sent"
    records = [
        json.loads(line)
        for path in (tmp_path / "records").glob("calls-*.jsonl")
        for line in path.read_text("utf-8").splitlines()
    ]
    assert [(r["function"], r["resource"], r["allowed"]) for r in records] == [
        ("ReaderFunction", TABLE_ARN.format("theirs"), False),
        ("ReaderFunction", TABLE_ARN.format("mine"), True),
    ]
