"""R-SEC-2 over template.yaml: only the anchoring job may write anchors, and nobody may change
or remove one (the IAM evaluation is test_template_iam's)."""

from __future__ import annotations

from local import iam_check
from tests.unit.test_template_iam import reach

ANCHORS = "<AccessAnchorsTable.Arn>"
BY_TIME = "<AccessAnchorsTable.Arn>/index/byTime"
WRITES = {"dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLInsert"}
CHANGES = {
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:RestoreTableToPointInTime",
}


def test_only_the_anchoring_job_writes_anchors_and_nobody_changes_them(template_model) -> None:
    # R-SEC-2: anchors live where the record writers cannot reach, and are only ever added.
    reached = reach(iam_check.template_world(), template_model)
    allowed = {
        function: {(a, r) for r in (ANCHORS, BY_TIME) for a in resources.get(r, [])}
        for function, resources in reached.items()
        if ANCHORS in resources or BY_TIME in resources
    }
    writers = {f for f, grants in allowed.items() if any(a in WRITES for a, _ in grants)}
    assert writers == {"AccessAnchorFunction"}
    assert allowed["AccessAnchorFunction"] == {
        ("dynamodb:PutItem", ANCHORS),
        ("dynamodb:Query", ANCHORS),
        ("dynamodb:Query", BY_TIME),
    }
    assert not any(a in CHANGES for grants in allowed.values() for a, _ in grants)
    # The review reads them to verify from and to, nothing more.
    assert allowed["AccessReviewFunction"] == {
        ("dynamodb:Query", ANCHORS),
        ("dynamodb:Query", BY_TIME),
    }
    assert set(allowed) == {"AccessAnchorFunction", "AccessReviewFunction"}


def test_the_anchors_table_is_kept_like_the_records(template_model) -> None:
    # R-SEC-2: point-in-time recovery and the customer-managed key, retained on stack removal.
    anchors = template_model.resources["AccessAnchorsTable"]
    records = template_model.resources["AccessRecordsTable"]
    for key in ("PointInTimeRecoverySpecification", "SSESpecification"):
        assert anchors.properties[key] == records.properties[key]
    assert anchors.properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
