"""``python -m local.demo`` (``make demo``): a member's whole life on the running local stack.

Every step is printed as the command a person would type (curl for the API, the AWS CLI for
Cognito and the Lambda Invoke API, both pointed at the local stack), then run, then answered.
Commands name values through shell variables (``$ID_TOKEN``); each variable is printed where
it is learnt. docs/walkthrough.md is this script rendered without values
(``python -m local.demo --walkthrough docs/walkthrough.md`` writes it; an e2e test compares).

The stack is found through ``PC_API_URL``/``PC_AWS_URL``/``PC_LAMBDA_URL``, or the ports
``PC_API_PORT``/``PC_AWS_PORT``/``PC_LAMBDA_PORT`` that ``make dev`` itself reads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from local.template import DEFAULT_REGION, REPO_ROOT

HOST = "127.0.0.1"
DEFAULT_PORTS = {"PC_API_PORT": 3000, "PC_AWS_PORT": 5000, "PC_LAMBDA_PORT": 3001}
OPERATOR_GROUP = "privacy-admin"
# The members' pool; an operators' pool of its own (name prefix) is never the members' one.
OPERATOR_POOL_PREFIX = "partnercenter-operators"
PURGE_FUNCTION = "RetentionPurgeFunction"
PURGE_EVENT_FILE = "events/retention-purge.json"
HTTP_TIMEOUT_SECONDS = 60
_VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)\}?")
MAX_SHOWN = 60  # characters of a token or secret shown in the narration


class DemoFailed(RuntimeError):
    """A step answered otherwise than the lifecycle expects."""


@dataclass(frozen=True)
class Endpoints:
    api: str
    aws: str
    lambda_: str
    region: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Endpoints:
        def url(name: str, port_var: str) -> str:
            port = env.get(port_var) or str(DEFAULT_PORTS[port_var])
            return (env.get(name) or f"http://{HOST}:{port}").rstrip("/")

        return cls(
            api=url("PC_API_URL", "PC_API_PORT"),
            aws=url("PC_AWS_URL", "PC_AWS_PORT"),
            lambda_=url("PC_LAMBDA_URL", "PC_LAMBDA_PORT"),
            region=env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
        )


@dataclass
class StepResult:
    title: str
    command: str  # as printed, with shell variables
    status: int | None  # HTTP status, None for an AWS CLI step
    expected: int | None


@dataclass
class Demo:
    """The shell session being narrated: its variables, its output, and what each step did."""

    endpoints: Endpoints
    out: TextIO
    variables: dict[str, str] = field(default_factory=dict)
    results: list[StepResult] = field(default_factory=list)
    script: list[str] = field(default_factory=list)  # the walkthrough (markdown)

    # ------------------------------------------------------------------ narration
    def say(self, text: str) -> None:
        self.out.write(f"\n# {text}\n")
        self.script.append(f"\n{text}\n")

    def heading(self, text: str) -> None:
        self.out.write(f"\n=== {text} ===\n")
        self.script.append(f"\n## {text}\n")

    def set(self, name: str, value: str, origin: str) -> None:
        """A variable learnt from an answer (or chosen): printed with its value."""
        self.variables[name] = value
        shown = value if len(value) <= MAX_SHOWN else f"{value[:MAX_SHOWN]}..."
        self.out.write(f"{name}={shlex.quote(shown)}    # {origin}\n")
        self.script.append(f"```sh\n{name}=...    # {origin}\n```\n")

    def _command(self, command: str) -> None:
        self.out.write(f"$ {command}\n")
        self.script.append(f"```sh\n{command}\n```\n")

    def expand(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.variables:
                raise DemoFailed(f"${name} is used before it is set")
            return self.variables[name]

        return _VARIABLE.sub(value, text)

    # ------------------------------------------------------------------ steps
    def curl(
        self,
        title: str,
        method: str,
        url: str,
        *,
        expect: int,
        json_body: Mapping[str, Any] | None = None,
        form: list[tuple[str, str]] | None = None,
        auth: str | None = None,
    ) -> Any:
        """One HTTP request, printed as curl; the decoded JSON answer. ``auth`` names the
        variable holding the id token to send."""
        parts = ["curl -s", f"-X {method}", f'"{url}"', "-H 'Accept: application/json'"]
        if auth:
            parts.append(f'-H "Authorization: ${auth}"')
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if form is not None:
            parts += [f'--data-urlencode "{key}={value}"' for key, value in form]
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urlencode([(k, self.expand(v)) for k, v in form]).encode()
        if json_body is not None:
            text = json.dumps(json_body, ensure_ascii=False, indent=2)
            parts += ["-H 'Content-Type: application/json'", f"--data-binary @- <<EOF\n{text}\nEOF"]
            headers["Content-Type"] = "application/json"
            data = _expand_json(self, json_body).encode()
        if auth:
            headers["Authorization"] = self.variables[auth]
        command = " \\\n  ".join(parts)
        self.out.write(f"\n[{title}]\n")
        self._command(command)
        status, answer = _http(method, self.expand(url), data, headers)
        self.out.write(f"HTTP {status}\n{json.dumps(answer, ensure_ascii=False, indent=2)}\n")
        self.results.append(StepResult(title, command, status, expect))
        if status != expect:
            raise DemoFailed(f"{title}: expected HTTP {expect}, got {status}")
        return answer

    def aws(self, title: str, command: str, run: Callable[[], Any]) -> Any:
        """One AWS CLI command against the local stack, run through boto3 with its arguments."""
        self.out.write(f"\n[{title}]\n")
        self._command(command)
        answer = run()
        self.results.append(StepResult(title, command, None, None))
        return answer

    def client(self, service: str) -> Any:
        import boto3

        name: Any = service  # boto3's stubs type each service name apart
        return boto3.client(
            name,
            endpoint_url=self.endpoints.lambda_ if service == "lambda" else self.endpoints.aws,
            region_name=self.endpoints.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials  # nosec B106
        )


def _expand_json(demo: Demo, body: Any) -> str:
    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return demo.expand(value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return json.dumps(walk(body), ensure_ascii=False)


def _http(method: str, url: str, data: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as answer:  # noqa: S310  # nosec B310
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode("utf-8", errors="replace")
    try:
        return status, json.loads(text) if text else None
    except json.JSONDecodeError:
        return status, text


# ---------------------------------------------------------------------------- the lifecycle
def setup(demo: Demo) -> None:
    demo.heading("0. The local stack")
    demo.say(
        "`make dev` runs the API, moto (AWS) and the Lambda Invoke API on these addresses. "
        "The AWS CLI talks to moto with any credentials."
    )
    e = demo.endpoints
    demo.set("API", e.api, "make dev's API (API Gateway)")
    demo.set("AWS", e.aws, "moto: Cognito, DynamoDB, KMS, ...")
    demo.set("LAMBDA", e.lambda_, "the Lambda Invoke API")
    demo._command(
        "export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        f"AWS_DEFAULT_REGION={e.region}"
    )
    pools = demo.aws(
        "the members' user pool and app client",
        "aws --endpoint-url $AWS cognito-idp list-user-pools --max-results 60",
        lambda: demo.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"],
    )
    members = [p for p in pools if not str(p["Name"]).startswith(OPERATOR_POOL_PREFIX)]
    if len(members) != 1:
        raise DemoFailed("expected exactly one members' user pool: is `make dev` running?")
    demo.set("USER_POOL_ID", str(members[0]["Id"]), "the pool named partnercenter-<stage>")
    clients = demo.aws(
        "its app client",
        "aws --endpoint-url $AWS cognito-idp list-user-pool-clients "
        "--user-pool-id $USER_POOL_ID --max-results 10",
        lambda: demo.client("cognito-idp").list_user_pool_clients(
            UserPoolId=demo.variables["USER_POOL_ID"], MaxResults=10
        )["UserPoolClients"],
    )
    demo.set("CLIENT_ID", str(clients[0]["ClientId"]), "the pool's only app client")


def verify_at_vendor(demo: Demo, start_path: str, auth: str | None, phone_var: str) -> None:
    """Start a verification, pass it at the simulated vendor as $NAME/$phone_var, and deliver
    the vendor's answer to our callback; sets $VERIFICATION_ID (and $VERIFICATION_SECRET when
    the API issues one)."""
    started = demo.curl(
        "start an identity verification",
        "POST",
        f"$API{start_path}",
        json_body={"purpose": "signup"} if auth is None else {},
        auth=auth,
        expect=201,
    )
    demo.set("VERIFICATION_ID", str(started["verificationId"]), "the answer's verificationId")
    if "verificationSecret" in started:
        demo.set(
            "VERIFICATION_SECRET",
            str(started["verificationSecret"]),
            "the answer's verificationSecret: shown once, the signup sends it back",
        )
    demo.set("ACTION_URL", str(started["actionUrl"]), "the vendor's page (here: the simulator)")
    form = []
    for key, value in started["formFields"].items():
        variable = "FORM_" + re.sub(r"[^A-Z0-9]", "_", key.upper())
        demo.set(variable, str(value), f"the answer's formFields.{key}: sealed, opaque")
        form.append((key, f"${variable}"))
    demo.say(
        "A browser would post formFields to the vendor's page, where the person proves who "
        "they are. The simulator takes the person in sim* fields instead (simName, simPhone, "
        "simBirthDate; simCi, simScenario optional) and, asked for JSON, answers with the "
        "callback URL and the fields the vendor's page would post back."
    )
    at_vendor = demo.curl(
        "at the vendor (simulated)",
        "POST",
        "$ACTION_URL",
        form=[
            *form,
            ("simName", "$NAME"),
            ("simPhone", f"${phone_var}"),
            ("simBirthDate", "$BIRTH_DATE"),
            ("simCi", "$CI"),
        ],
        expect=200,
    )
    demo.set("CALLBACK_URL", str(at_vendor["callbackUrl"]), "the answer's callbackUrl")
    returned = []
    for key, value in at_vendor["fields"].items():
        variable = "VENDOR_" + re.sub(r"[^A-Z0-9]", "_", key.upper())
        demo.set(variable, str(value), f"the answer's fields.{key}")
        returned.append((key, f"${variable}"))
    demo.say("The vendor returns to our callback with a form-encoded body (KMC's wire format).")
    done = demo.curl("the vendor's return", "POST", "$CALLBACK_URL", form=returned, expect=200)
    if done.get("status") != "verified":
        raise DemoFailed("the verification did not end verified")


def operator_id_token(demo: Demo) -> None:
    """A local operator (privacy-admin) signed in with password and TOTP; sets $OPERATOR_TOKEN.

    The one place that knows how an operator is made and signs in: a user of the operators'
    own pool, which demands an authenticator code at every sign-in (docs/operators.md)."""
    from local.operator import create_operator, enrol_totp, new_password, operator_pool
    from local.operator import sign_in as sign_in_with_code

    cognito = demo.client("cognito-idp")
    pool, client_id = demo.aws(
        "the operators' user pool (TOTP required) and its app client",
        "aws --endpoint-url $AWS cognito-idp list-user-pools --max-results 60",
        lambda: operator_pool(cognito),
    )
    demo.set("OPERATOR_POOL_ID", pool, f"the pool named {OPERATOR_POOL_PREFIX}-<stage>")
    demo.set("OPERATOR_CLIENT_ID", client_id, "its only app client")
    demo.set("OPERATOR", f"operator-{secrets.token_hex(4)}", "any user name")
    demo.set("OPERATOR_PASSWORD", new_password(), "12+ characters of every class")
    name, password = demo.variables["OPERATOR"], demo.variables["OPERATOR_PASSWORD"]
    demo.aws(
        "create the operator, with its password, in the privacy-admin group",
        "aws --endpoint-url $AWS cognito-idp admin-create-user --user-pool-id $OPERATOR_POOL_ID "
        "--username $OPERATOR --message-action SUPPRESS && "
        "aws --endpoint-url $AWS cognito-idp admin-set-user-password --user-pool-id "
        "$OPERATOR_POOL_ID --username $OPERATOR --password $OPERATOR_PASSWORD --permanent && "
        "aws --endpoint-url $AWS cognito-idp admin-add-user-to-group --user-pool-id "
        f"$OPERATOR_POOL_ID --username $OPERATOR --group-name {OPERATOR_GROUP}",
        lambda: create_operator(cognito, pool, name, password),
    )
    secret = demo.aws(
        "enrol an authenticator: a password alone opens no operator route",
        "TOTP_SECRET=$(aws --endpoint-url $AWS cognito-idp associate-software-token "
        "--access-token <the first sign-in's access token> --query SecretCode --output text)  "
        "# then verify-software-token with a code (python -m local.operator does both)",
        lambda: enrol_totp(cognito, pool, client_id, name, password),
    )
    demo.set("TOTP_SECRET", secret, "the authenticator's secret (an authenticator app takes it)")
    tokens = demo.aws(
        "sign in with password and code: the id token is what the API takes",
        "OPERATOR_TOKEN=$(.venv/bin/python -m local.operator sign-in $OPERATOR "
        "$OPERATOR_PASSWORD $TOTP_SECRET)  # initiate-auth, then respond-to-auth-challenge "
        "SOFTWARE_TOKEN_MFA with the current code",
        lambda: sign_in_with_code(cognito, client_id, name, password, secret),
    )
    demo.set("OPERATOR_TOKEN", str(tokens["IdToken"]), "the operator's id token")


def sign_in(demo: Demo, variable: str, user: str, password: str) -> None:
    """A USER_PASSWORD_AUTH sign-in; the id token (what API Gateway's authorizer takes)."""
    answer = demo.aws(
        "sign in: the id token is what the API takes",
        f"{variable}=$(aws --endpoint-url $AWS cognito-idp initiate-auth --client-id $CLIENT_ID "
        f"--auth-flow USER_PASSWORD_AUTH --auth-parameters USERNAME={user},PASSWORD={password} "
        "--query AuthenticationResult.IdToken --output text)",
        lambda: demo.client("cognito-idp").initiate_auth(
            ClientId=demo.variables["CLIENT_ID"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": demo.expand(user), "PASSWORD": demo.expand(password)},
        ),
    )
    demo.set(variable, str(answer["AuthenticationResult"]["IdToken"]), "the id token")


def lifecycle(demo: Demo) -> None:
    setup(demo)

    demo.heading("1. Identity verification")
    demo.say(
        "The person (fictional). Name and phone must later be sent exactly as verified; "
        "phone is digits only."
    )
    demo.set("NAME", "김담당", "the person's name")
    demo.set("PHONE", f"010{secrets.randbelow(10**8):08d}", "a Korean mobile number, digits")
    demo.set("BIRTH_DATE", "19880412", "YYYYMMDD; under 14 is refused (R-COL-3)")
    # The vendor names a person by CI, the same whatever the phone (the simulator derives one
    # from name, birth date and phone unless simCi is given).
    demo.set("CI", secrets.token_urlsafe(66)[:86] + "==", "the person's CI: 88 characters")
    policy = demo.curl("the current privacy policy", "GET", "$API/privacy-policy", expect=200)
    demo.set("POLICY_VERSION", str(policy["version"]), "the answer's version: the consent names it")
    verify_at_vendor(demo, "/identity-verifications", None, "PHONE")
    signup_and_approval(demo)
    profile_and_phone(demo)
    withdrawal_and_purge(demo)


def signup_and_approval(demo: Demo) -> None:
    demo.heading("2. Signup and operator approval")
    demo.say(
        "loginId: 4-20 of [a-z0-9._-]. password: at least 10 characters with a lowercase "
        "letter and a digit. "
        "The required consent names the current policy version."
    )
    demo.set("LOGIN_ID", f"demo.{secrets.token_hex(4)}", "4-20 of [a-z0-9._-]")
    demo.set("PASSWORD", f"demo-{secrets.token_hex(4)}-9", "the member's password")
    body: dict[str, Any] = {"verificationId": "$VERIFICATION_ID"}
    if "VERIFICATION_SECRET" in demo.variables:
        body["verificationSecret"] = "$VERIFICATION_SECRET"
    body |= {
        "loginId": "$LOGIN_ID",
        "password": "$PASSWORD",  # nosec B105 - the name of a shell variable
        "name": "$NAME",
        "phone": "$PHONE",
        "consents": {"required": {"policyVersion": "$POLICY_VERSION", "agreed": True}},
    }
    created = demo.curl("sign up", "POST", "$API/members", json_body=body, expect=201)
    demo.set("MEMBER_ID", str(created["memberId"]), "the answer's memberId (pending approval)")
    demo.say("An operator (privacy-admin) approves the application (R-COL-4).")
    operator_id_token(demo)
    demo.curl(
        "approve",
        "POST",
        "$API/admin/members/$MEMBER_ID/decision",
        json_body={"decision": "approve", "reason": "staff of a partner company"},
        auth="OPERATOR_TOKEN",
        expect=200,
    )


def profile_and_phone(demo: Demo) -> None:
    demo.heading("3. Sign-in and the profile")
    sign_in(demo, "ID_TOKEN", "$LOGIN_ID", "$PASSWORD")
    demo.say("Send the id token as it is in Authorization (`Bearer <token>` is taken too).")
    demo.curl("my profile (R-RIGHT-1)", "GET", "$API/members/me", auth="ID_TOKEN", expect=200)

    demo.heading("4. A new phone, verified again")
    demo.say("A phone change needs a new verification of the new phone (R-RIGHT-1, R-IDV-3).")
    demo.set("NEW_PHONE", f"010{secrets.randbelow(10**8):08d}", "the new number")
    verify_at_vendor(demo, "/members/me/identity-verifications", "ID_TOKEN", "NEW_PHONE")
    demo.curl(
        "change the phone",
        "PATCH",
        "$API/members/me",
        json_body={"phone": "$NEW_PHONE", "verificationId": "$VERIFICATION_ID"},
        auth="ID_TOKEN",
        expect=200,
    )


def withdrawal_and_purge(demo: Demo) -> None:
    demo.heading("5. Withdrawal")
    demo.say(
        "What no retention reason covers is destroyed now; name and phone are kept apart "
        "for a year (R-RET-1, R-RET-2, R-RIGHT-2)."
    )
    demo.curl(
        "withdraw", "POST", "$API/members/me/withdrawal", json_body={}, auth="ID_TOKEN", expect=200
    )

    demo.heading("6. A purge run a year later, and the destruction record")
    demo.say(
        "The daily purge takes the schedule event's time as its clock, so a run dated a year "
        "and a day on destroys what was kept (R-RET-2, R-RET-6)."
    )
    later = (datetime.now(UTC) + timedelta(days=366)).replace(microsecond=0)
    demo.set("A_YEAR_LATER", later.strftime("%Y-%m-%dT%H:%M:%SZ"), "now + 366 days")
    event = json.loads((REPO_ROOT / PURGE_EVENT_FILE).read_text("utf-8"))
    event["time"] = demo.variables["A_YEAR_LATER"]
    demo.aws(
        "the purge event",
        f"PURGE_EVENT=$(jq -c --arg t \"$A_YEAR_LATER\" '.time = $t' {PURGE_EVENT_FILE})",
        lambda: None,
    )
    report = demo.aws(
        "run the purge",
        f"aws --endpoint-url $LAMBDA lambda invoke --function-name {PURGE_FUNCTION} "
        '--cli-binary-format raw-in-base64-out --payload "$PURGE_EVENT" purge.json '
        "&& cat purge.json",
        lambda: _invoke(demo, event),
    )
    demo.out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    since = later - timedelta(minutes=5)
    until = later + timedelta(minutes=5)
    demo.set("FROM", since.strftime("%Y-%m-%dT%H:%M:%SZ"), "a window around the run's clock")
    demo.set("TO", until.strftime("%Y-%m-%dT%H:%M:%SZ"), "at most 366 days after FROM")
    demo.say("Each destruction is recorded without the destroyed data (R-RET-7).")
    records = demo.curl(
        "destruction records",
        "GET",
        "$API/admin/destruction-records?from=$FROM&to=$TO",
        auth="OPERATOR_TOKEN",
        expect=200,
    )
    # Records name the member by pseudonym only; the run's own records are the member's here.
    if not any(r.get("runId") == report.get("runId") for r in records.get("items", [])):
        raise DemoFailed("the purge run left no destruction record")
    demo.say("The records carry the run's runId. The lifecycle is complete.")


def _invoke(demo: Demo, event: Mapping[str, Any]) -> Any:
    answer = demo.client("lambda").invoke(
        FunctionName=PURGE_FUNCTION, Payload=json.dumps(event).encode()
    )
    payload = json.loads(answer["Payload"].read())
    if "FunctionError" in answer:
        raise DemoFailed("the purge failed")
    return payload


WALKTHROUGH_HEAD = """# Walkthrough: a member's whole life on the local stack

Generated by `python -m local.demo --walkthrough docs/walkthrough.md` from the demo itself
(`make demo` runs the same steps against `make dev` and prints every answer); an e2e test
fails when this file and the demo differ. `$NAME` stands for a value printed where it is learnt.
"""


def render_walkthrough(demo: Demo) -> str:
    # Consecutive commands share one block.
    return WALKTHROUGH_HEAD + "".join(demo.script).replace("```\n```sh\n", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__)
    parser.add_argument("--walkthrough", type=Path, help="also write the walkthrough here")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    demo = Demo(Endpoints.from_env(os.environ), sys.stdout)
    try:
        lifecycle(demo)
    except (DemoFailed, OSError, BotoCoreError, ClientError) as failed:
        print(f"\ndemo stopped: {failed}\nIs `make dev` running?", file=sys.stderr)
        return 1
    if args.walkthrough:
        args.walkthrough.write_text(render_walkthrough(demo), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
