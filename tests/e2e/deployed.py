"""A deployed stack, found from its CloudFormation outputs, for `make smoke STACK=<name>`.

As the AWS SAM project templates do: ``AWS_SAM_STACK_NAME`` names the stack and describe-stacks
gives its outputs: the API's URL, the user pool and its client. The calls use the caller's own
AWS credentials and the stack's region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

# Output key of the template -> what the smoke tests need.
OUTPUTS = {
    "ApiUrl": "api_url",
    "UserPoolId": "user_pool_id",
    "UserPoolClientId": "client_id",
    "OperatorPoolId": "operator_pool_id",
    "OperatorPoolClientId": "operator_client_id",
}
# A stack whose last operation left it working (an update rolled back runs the previous one).
USABLE_STATUSES = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
)


class StackNotUsable(Exception):
    """The stack does not exist, is not in a usable state, or lacks an output."""


class StackUsers:
    """Members and operators made in a stack's pools: shared by the local and deployed stacks."""

    user_pool_id: str
    operator_pool_id: str
    operator_client_id: str

    def client(self, service: str) -> Any:
        raise NotImplementedError

    def create_user(self, username: str, password: str, groups: tuple[str, ...] = ()) -> None:
        cognito = self.client("cognito-idp")
        cognito.admin_create_user(
            UserPoolId=self.user_pool_id, Username=username, MessageAction="SUPPRESS"
        )
        cognito.admin_set_user_password(
            UserPoolId=self.user_pool_id, Username=username, Password=password, Permanent=True
        )
        for group in groups:
            cognito.admin_add_user_to_group(
                UserPoolId=self.user_pool_id, Username=username, GroupName=group
            )

    def create_operator(self, username: str, password: str, *, totp: bool = True) -> str | None:
        """An operator in privacy-admin in the operators' pool; with ``totp``, enrolled (the
        secret is returned), else signing in with a password alone (refused at operator routes)."""
        from local.operator import create_operator, enrol_totp

        cognito = self.client("cognito-idp")
        create_operator(cognito, self.operator_pool_id, username, password)
        if not totp:
            return None
        return enrol_totp(
            cognito, self.operator_pool_id, self.operator_client_id, username, password
        )

    def operator_sign_in(self, username: str, password: str, secret: str) -> str:
        """An operator's id token, signed in with password and authenticator code."""
        from local.operator import sign_in

        tokens = sign_in(
            self.client("cognito-idp"), self.operator_client_id, username, password, secret
        )
        return str(tokens["IdToken"])


@dataclass(frozen=True)
class DeployedStack(StackUsers):
    """What the smoke tests talk to: the same attributes and helpers as the local stack's."""

    name: str
    region: str
    api_url: str
    user_pool_id: str
    client_id: str
    operator_pool_id: str
    operator_client_id: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)

    def sign_in(self, username: str, password: str) -> str:
        """The id token of a USER_PASSWORD_AUTH sign-in through the stack's client."""
        answer = self.client("cognito-idp").initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return str(answer["AuthenticationResult"]["IdToken"])


def from_describe_stacks(answer: Mapping[str, Any], stack_name: str) -> DeployedStack:
    """The stack ``stack_name`` (its name or its id) of a DescribeStacks answer."""
    matching = [
        s for s in answer.get("Stacks", []) if stack_name in (s.get("StackName"), s.get("StackId"))
    ]
    if len(matching) != 1:
        raise StackNotUsable(f"describe-stacks has no single stack named {stack_name!r}")
    (stack,) = matching
    if stack["StackStatus"] not in USABLE_STATUSES:
        raise StackNotUsable(f"stack {stack_name!r} is {stack['StackStatus']}; deploy it first")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = sorted(set(OUTPUTS) - set(outputs))
    if missing:
        raise StackNotUsable(f"stack {stack_name!r} has no output {', '.join(missing)}")
    # arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>
    region = str(stack["StackId"]).split(":")[3]
    values = {field: str(outputs[key]) for key, field in OUTPUTS.items()}
    values["api_url"] = values["api_url"].rstrip("/")
    return DeployedStack(name=str(stack["StackName"]), region=region, **values)


def resolve(stack_name: str, cloudformation: Any = None) -> DeployedStack:
    """Ask CloudFormation (the caller's region and credentials) for the stack's outputs."""
    from botocore.exceptions import ClientError

    cloudformation = cloudformation or boto3.client("cloudformation")
    try:
        answer = cloudformation.describe_stacks(StackName=stack_name)
    except ClientError as error:  # "Stack with id ... does not exist" is a ValidationError
        raise StackNotUsable(str(error.response["Error"]["Message"])) from error
    return from_describe_stacks(answer, stack_name)
