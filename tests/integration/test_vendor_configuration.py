"""The vendor secret picks KMC's cipher; an unusable configuration or vendor is a counted 503.

Through the identity function's handler, on moto: the secret is the one the template creates,
overwritten as an operator would. Every VENDOR_UNAVAILABLE answer emits the VendorUnavailable
metric the alarm watches (EMF on stdout, as Powertools writes it in Lambda).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.provision import generate_secret_string
from local.vendor_sim import VendorSimulator
from partnercenter.identity import vendor as identity_vendor
from partnercenter.observability import METRIC_VENDOR_UNAVAILABLE
from partnercenter.vendors.kmc_cipher import b64url_decode
from tests.conftest import AwsStack
from tests.integration.test_identity_verification import _configure, at_vendor, deliver, start
from tests.support import api_event, call

FUNCTION = "identity_verification"
STANDIN = str(Path(__file__).parents[1] / "unit" / "vendors" / "kmc_module_standin.py")
MODULE_KEY = "k3y-m4t3r1al-from-kmc"


@pytest.fixture
def seeded(aws_stack: AwsStack) -> dict[str, str]:
    return dict(aws_stack.provisioned.vendor_credentials)


def _set_secret(aws_stack: AwsStack, secret: dict[str, str]) -> None:
    aws_stack.client("secretsmanager").put_secret_value(
        SecretId=aws_stack.physical_id("VendorSecret"), SecretString=json.dumps(secret)
    )


def _metric_counts(stdout: str) -> list[float]:
    """The VendorUnavailable values of every EMF blob printed."""
    counts: list[float] = []
    for line in stdout.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        names = {m["Name"] for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
        if METRIC_VENDOR_UNAVAILABLE in names:
            counts.extend(blob[METRIC_VENDOR_UNAVAILABLE])
    return counts


def _start_answer() -> Any:
    return call(FUNCTION, api_event("identity-verification-start", body={"purpose": "signup"}))


def _without(secret: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in secret.items() if k != name}


@pytest.mark.parametrize(
    "misconfigure",
    [
        pytest.param(lambda s: _without(s, "cipher"), id="no-cipher-kind"),
        pytest.param(lambda s: {**s, "cipher": "des"}, id="unknown-cipher-kind"),
        pytest.param(lambda s: _without(s, "cipherKey"), id="no-cipher-key"),
        pytest.param(
            lambda s: {**s, "cipher": "kmc-module", "cipherCommand": "/opt/kmc/absent"},
            id="module-missing",
        ),
        pytest.param(
            lambda s: {
                **s,
                "cipher": "kmc-module",
                "cipherCommand": STANDIN,
                "cipherKey": "fail:x",
            },
            id="module-failing",
        ),
        pytest.param(lambda s: _without(s, "cpId"), id="no-cp-id"),
    ],
)
def test_an_unusable_kmc_configuration_is_a_counted_503(
    aws_stack: AwsStack, seeded: dict[str, str], misconfigure: Any, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("IDENTITY_VENDOR", "kmc")
    secret = misconfigure(seeded)
    _set_secret(aws_stack, secret)
    capsys.readouterr()
    result = _start_answer()
    out = capsys.readouterr().out
    assert (result.status, result.body["code"]) == (503, "VENDOR_UNAVAILABLE")
    assert _metric_counts(out) == [1.0]
    for value in secret.values():  # R-SEC-3: no key material or credential logged or answered
        if len(value) > 8:
            assert value not in out
            assert value not in json.dumps(result.body)


def test_an_incomplete_portone_secret_is_a_counted_503(
    aws_stack: AwsStack, seeded: dict[str, str], capsys, monkeypatch
) -> None:
    monkeypatch.setenv("IDENTITY_VENDOR", "portone")
    _set_secret(aws_stack, _without(seeded, "apiSecret"))
    capsys.readouterr()
    result = _start_answer()
    assert (result.status, result.body["code"]) == (503, "VENDOR_UNAVAILABLE")
    assert _metric_counts(capsys.readouterr().out) == [1.0]


def test_kmc_through_the_configured_module_starts_a_verification(
    aws_stack: AwsStack, seeded: dict[str, str], capsys, monkeypatch
) -> None:
    # The deployed stack's choice: KMC's module, named with its key material in the secret.
    monkeypatch.setenv("IDENTITY_VENDOR", "kmc")
    _set_secret(
        aws_stack,
        {**seeded, "cipher": "kmc-module", "cipherCommand": STANDIN, "cipherKey": MODULE_KEY},
    )
    capsys.readouterr()
    result = _start_answer()
    assert result.status == 201, result.body
    assert result.body["formFields"]["tr_ver"] == "V2"
    out = capsys.readouterr().out
    assert _metric_counts(out) == []
    assert MODULE_KEY not in out


def test_the_vendor_erring_is_counted_too(
    aws_stack: AwsStack, seeded: dict[str, str], capsys, monkeypatch
) -> None:
    sim = VendorSimulator(
        b64url_decode(seeded["cipherKey"].rstrip("=")),
        seeded["cpId"],
        seeded["storeId"],
        seeded["apiSecret"],
    )
    _configure(monkeypatch, "kmc")
    with identity_vendor.vendor_transport(sim.transport):
        started = start()
        fields = at_vendor(sim, started, scenario="token_5xx")
        capsys.readouterr()
        down = deliver(started["verificationId"], fields)
        assert (down.status, down.body["code"]) == (503, "VENDOR_UNAVAILABLE")
        assert _metric_counts(capsys.readouterr().out) == [1.0]
        assert deliver(started["verificationId"], fields).status == 200
        assert _metric_counts(capsys.readouterr().out) == []


def test_a_fresh_deploy_answers_503_until_the_operator_sets_the_key_material(
    aws_stack: AwsStack, capsys, monkeypatch
) -> None:
    # The secret exactly as the template generates it: KMC's module named, no key material yet.
    spec = aws_stack.provisioned.model.resources["VendorSecret"].properties
    generated = json.loads(generate_secret_string(spec["GenerateSecretString"]))
    assert (generated["cipher"], "cipherKey" in generated) == ("kmc-module", False)
    monkeypatch.setenv("IDENTITY_VENDOR", "kmc")
    _set_secret(aws_stack, generated)
    capsys.readouterr()
    result = _start_answer()
    assert (result.status, result.body["code"]) == (503, "VENDOR_UNAVAILABLE")
    assert _metric_counts(capsys.readouterr().out) == [1.0]
