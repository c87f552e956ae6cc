"""The alarms and the dashboard watch what the code really emits, and tell the operations topic.

CloudWatch matches a metric by namespace, name and the exact set of dimensions: an alarm that
differs in any of them watches a metric nobody writes and never fires. So the custom metrics
are taken from the EMF documents Powertools prints when the real handlers run, each started
(tests/emf_probe.py) with its own template environment, as Lambda starts it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from local.template import TemplateModel
from partnercenter.observability import METRIC_VENDOR_UNAVAILABLE
from tests.support import CODE_PATH, ROOT, fresh_python

TOPIC = {"Ref": "OperationsTopic"}
# The scheduled runs whose metrics the alarms and the dashboard watch, and the event each is
# started with (the same files `sam local invoke -e` takes).
# The identity function runs on the vendor secret as a fresh deploy has it (no cipher key), so
# it answers 503 and counts VendorUnavailable, as it would in AWS.
PROBED = {
    "AccessAnchorFunction": "access-review-monthly",
    "RetentionPurgeFunction": "retention-purge",
    "IdentityVerificationFunction": "identity-verification-start",
}
# Drawn beside VendorUnavailable for scale only (no alarm reads it); emitting it takes a whole
# verification through the vendor, which the probe's fresh-deploy secret cannot reach.
ONLY_ON_A_COMPLETED_VERIFICATION = {"IdentityVerified"}

Metric = tuple[str, str, frozenset[tuple[str, Any]]]  # namespace, name, dimensions


def emf_metrics(stdout: str) -> set[Metric]:
    """The metrics CloudWatch makes of EMF documents: one per metric and dimension set."""
    found: set[Metric] = set()
    for line in stdout.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if not isinstance(document, dict) or "_aws" not in document:
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, document[name]) for name in dimension_set)
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], dimensions))
    return found


@pytest.fixture(scope="module")
def emitted() -> dict[str, set[Metric]]:
    """Each probed function's metrics, from its handler run in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    env.update(
        POWERTOOLS_TRACE_DISABLED="true",  # no X-Ray daemon here
        PYTHONPATH=CODE_PATH,
    )
    result = {}
    for function_id, event in PROBED.items():
        out = fresh_python(["-m", "tests.emf_probe", function_id, event], env)
        result[function_id] = emf_metrics(out)
    return result


def alarms(model: TemplateModel) -> dict[str, Mapping[str, Any]]:
    found = {k: r.properties for k, r in model.of_type("AWS::CloudWatch::Alarm").items()}
    assert found
    return found


def alarm_metrics(props: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Namespace, name and dimensions of each metric an alarm reads (itself or its math)."""
    if "Metrics" in props:
        for query in props["Metrics"]:
            if "MetricStat" in query:
                metric = query["MetricStat"]["Metric"]
                yield metric["Namespace"], metric["MetricName"], _dimensions(metric)
    else:
        yield props["Namespace"], props["MetricName"], _dimensions(props)


def _dimensions(metric: Mapping[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}


def service_function(model: TemplateModel, service: str) -> str:
    """The function whose POWERTOOLS_SERVICE_NAME is ``service``."""
    (function_id,) = [
        f
        for f, fn in model.functions.items()
        if fn.environment["POWERTOOLS_SERVICE_NAME"] == service
    ]
    return function_id


def namespace_of(model: TemplateModel, function_id: str) -> str:
    return str(model.functions[function_id].environment["POWERTOOLS_METRICS_NAMESPACE"])


def test_every_alarm_on_an_application_metric_watches_what_its_function_emits(
    template_model: TemplateModel, emitted: dict[str, set[Metric]]
) -> None:
    checked = set()
    for alarm_id, props in alarms(template_model).items():
        for namespace, name, dimensions in alarm_metrics(props):
            if namespace.startswith("AWS/"):
                continue
            function_id = service_function(template_model, dimensions.get("service", ""))
            assert namespace == namespace_of(template_model, function_id), alarm_id
            watched = (namespace, name, frozenset(dimensions.items()))
            assert watched in emitted[function_id], (alarm_id, sorted(emitted[function_id]))
            checked.add(name)
    # R-SEC-2, R-RET-1: the chain check and the purge's backlog are among them.
    assert {"AccessChainBroken", "remaining", METRIC_VENDOR_UNAVAILABLE} <= checked


def test_every_function_has_an_errors_and_a_throttles_alarm_and_nothing_else_is_watched(
    template_model: TemplateModel,
) -> None:
    watched: list[tuple[str, str]] = []
    for alarm_id, props in alarms(template_model).items():
        for namespace, name, dimensions in alarm_metrics(props):
            if namespace == "AWS/Lambda":
                assert set(dimensions) == {"FunctionName"}, alarm_id
                function_id = dimensions["FunctionName"]["Ref"]
                assert function_id in template_model.functions, alarm_id
                if "Metrics" not in props:  # the purge's alarm reads Errors in its math too
                    watched.append((function_id, name))
    assert sorted(watched) == sorted(
        (function_id, metric)
        for function_id in template_model.functions
        for metric in ("Errors", "Throttles")
    )


def test_every_alarm_and_recovery_tells_the_operations_topic(template_model: TemplateModel) -> None:
    for alarm_id, props in alarms(template_model).items():
        assert props["AlarmActions"] == [TOPIC], alarm_id
        assert props["OKActions"] == [TOPIC], alarm_id
    topic = template_model.resources["OperationsTopic"]
    assert topic.type == "AWS::SNS::Topic"
    key = template_model.resources[topic.properties["KmsMasterKeyId"]["Ref"]]
    # CloudWatch can publish to an encrypted topic only if the key lets it (not aws/sns).
    (grant,) = [
        s
        for s in key.properties["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    (subscription,) = template_model.of_type("AWS::SNS::Subscription").values()
    assert subscription.properties["TopicArn"] == TOPIC
    assert subscription.properties["Endpoint"] == {"Ref": "OperationsAlertEmail"}
    # An empty address leaves the topic without a subscriber rather than failing the deploy.
    assert template_model.conditions[subscription.condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "OperationsAlertEmail"}, ""]}]
    }


def test_the_5xx_alarm_names_the_api_and_stage_as_deployed(template_model: TemplateModel) -> None:
    (api_id,) = template_model.apis
    api = template_model.resources[api_id]
    # API Gateway's ApiName dimension is the REST API's name: SAM's OpenAPI title.
    api_name = api.properties["Body"]["info"]["title"]
    stage = template_model.apis[api_id].stage
    api_metrics = [
        (name, dimensions)
        for props in alarms(template_model).values()
        for namespace, name, dimensions in alarm_metrics(props)
        if namespace == "AWS/ApiGateway"
    ]
    assert {name for name, _ in api_metrics} == {"5XXError", "Count"}
    for _, dimensions in api_metrics:
        assert dimensions == {"ApiName": api_name, "Stage": stage}


def test_every_dead_letter_queue_of_the_functions_is_watched(template_model: TemplateModel) -> None:
    # Scheduled runs are asynchronous: a failure after the retries is kept only by a DLQ
    # (.checkov.yaml skips CKV_AWS_116 for the synchronous route functions; this holds the rest).
    functions = template_model.of_type("AWS::Lambda::Function")
    for schedule in template_model.schedules:
        assert "DeadLetterConfig" in functions[schedule.function].properties, schedule.function
    queues = {
        fn.properties["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
        for fn in template_model.of_type("AWS::Lambda::Function").values()
        if "DeadLetterConfig" in fn.properties
    }
    assert queues
    watched = {
        dimensions["QueueName"]["Fn::GetAtt"][0]
        for props in alarms(template_model).values()
        for namespace, name, dimensions in alarm_metrics(props)
        if (namespace, name) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    }
    assert watched == queues


def test_the_purge_alarm_wants_two_daily_runs_in_a_row(template_model: TemplateModel) -> None:
    (schedule,) = [s for s in template_model.schedules if s.function == "RetentionPurgeFunction"]
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", schedule.expression)  # once a day
    props = alarms(template_model)["RetentionPurgeBehindAlarm"]
    periods = {q["MetricStat"]["Period"] for q in props["Metrics"] if "MetricStat" in q}
    assert periods == {86400}
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (2, 2)
    # A day without a report is a purge that did not run.
    assert props["TreatMissingData"] == "breaching"


def _dashboard_widgets(model: TemplateModel) -> list[dict[str, Any]]:
    (dashboard,) = model.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard.properties["DashboardBody"]["Fn::Sub"]
    # ${Resource} and ${Resource.Attr} stand for the logical id, so metrics can be checked.
    text = re.sub(r"\$\{([A-Za-z0-9:]+)(\.[A-Za-z]+)?\}", r"\1", body)
    return list(json.loads(text)["widgets"])


def test_the_dashboard_draws_each_duration_against_its_function_timeout(
    template_model: TemplateModel,
) -> None:
    drawn = set()
    for widget in _dashboard_widgets(template_model):
        properties = widget["properties"]
        for metric in properties.get("metrics", []):
            if metric[:3] == ["AWS/Lambda", "Duration", "FunctionName"]:
                function_id = metric[3]
                (timeout,) = properties["annotations"]["horizontal"]
                assert timeout["value"] == template_model.functions[function_id].timeout * 1000
                drawn.add(function_id)
    assert drawn == set(template_model.functions)


def test_the_dashboards_application_metrics_are_emitted(
    template_model: TemplateModel, emitted: dict[str, set[Metric]]
) -> None:
    for widget in _dashboard_widgets(template_model):
        for metric in widget.get("properties", {}).get("metrics", []):
            namespace, name, *pairs = [m for m in metric if not isinstance(m, dict)]
            if namespace.startswith("AWS/"):
                continue
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            function_id = service_function(template_model, dimensions["service"])
            assert namespace == namespace_of(template_model, function_id)
            if function_id in emitted and name not in ONLY_ON_A_COMPLETED_VERIFICATION:
                assert (namespace, name, frozenset(dimensions.items())) in emitted[function_id]


def test_every_alarm_says_where_its_runbook_is(template_model: TemplateModel) -> None:
    runbook = (ROOT / "docs" / "operations.md").read_text("utf-8")
    # GitHub's anchors: headings lower-cased, spaces to hyphens, other punctuation dropped.
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", runbook, flags=re.MULTILINE)
    }
    for alarm_id, props in alarms(template_model).items():
        (anchor,) = re.findall(r"docs/operations\.md#([a-z0-9-]+)", props["AlarmDescription"])
        assert anchor in anchors, alarm_id
