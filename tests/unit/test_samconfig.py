"""samconfig.toml: the dev and prod deploys, their parameters the template's, no secret in it."""

from __future__ import annotations

import re
import shlex
import tomllib
from typing import Any

import pytest

from local.template import DEFAULT_TEMPLATE, REPO_ROOT, load_cfn_yaml

ENVIRONMENTS = ("dev", "prod")


@pytest.fixture(scope="module")
def deploys() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text("utf-8"))
    return {env: config[env]["deploy"]["parameters"] for env in ENVIRONMENTS}


def _overrides(deploy: dict[str, Any]) -> dict[str, str]:
    """`Key="value" ...` as sam deploy reads parameter_overrides."""
    return dict(item.split("=", 1) for item in shlex.split(deploy["parameter_overrides"]))


def test_each_environment_is_its_own_stack_in_seoul(deploys: dict[str, dict[str, Any]]) -> None:
    assert len({d["stack_name"] for d in deploys.values()}) == len(ENVIRONMENTS)
    for env, deploy in deploys.items():
        assert deploy["region"] == "ap-northeast-2"
        assert _overrides(deploy)["Stage"] == env
        assert deploy["capabilities"] == "CAPABILITY_IAM"  # the functions' roles
        assert deploy["resolve_s3"] is True
    assert deploys["prod"]["confirm_changeset"] is True


def test_overrides_name_template_parameters_and_hold_no_secret(
    deploys: dict[str, dict[str, Any]],
) -> None:
    parameters = load_cfn_yaml(DEFAULT_TEMPLATE.read_text("utf-8"))["Parameters"]
    for deploy in deploys.values():
        for name, value in _overrides(deploy).items():
            assert name in parameters
            assert not parameters[name].get("NoEcho")
            allowed = parameters[name].get("AllowedValues")
            assert allowed is None or value in allowed
            pattern = parameters[name].get("AllowedPattern")
            assert pattern is None or re.fullmatch(pattern, value)
    text = (REPO_ROOT / "samconfig.toml").read_text("utf-8").lower()
    for word in ("secret=", "password", "apisecret", "cipherkey", "aws_secret_access_key"):
        assert word not in text
