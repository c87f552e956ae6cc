"""The codec, the clock and the policy document (pagination tokens: tests/integration/
test_input_bounds.py, they need the secret)."""

from datetime import UTC, datetime

from partnercenter.clock import iso, parse_iso
from partnercenter.dal.codec import from_item, to_item
from partnercenter.dal.destruction_records import _months
from partnercenter.policy import CURRENT_VERSION, policy_document, signup_purposes


def test_codec_round_trip_drops_none_and_keeps_types() -> None:
    values = {"a": 1, "b": 1.5, "c": "x", "d": None, "e": {"f": [1, "g"]}, "h": b"\x00", "i": True}
    back = from_item(to_item(values))
    assert back == {"a": 1, "b": 1.5, "c": "x", "e": {"f": [1, "g"]}, "h": b"\x00", "i": True}


def test_iso_is_utc_seconds_and_parses_back() -> None:
    moment = datetime(2026, 11, 24, 20, 11, 23, 999, tzinfo=UTC)
    assert iso(moment) == "2026-11-24T20:11:23Z"
    assert parse_iso("2026-11-24T20:11:23Z") == moment.replace(microsecond=0)


def test_month_partitions_span_year_end() -> None:
    assert _months("2026-11-30T00:00:00Z", "2027-02-01T00:00:00Z") == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]


def test_policy_document_names_kmc_officer_and_reporting_bodies() -> None:
    # R-USE-3, R-CPO-1: processors and contacts are published as data.
    document = policy_document()
    assert document["version"] == CURRENT_VERSION
    assert any("KMC" in p["name"] for p in document["processors"])
    assert document["privacyOfficer"]["email"] == "privacy@kakao-m.com"
    assert {b["phone"] for b in document["reportingBodies"]} == {"118", "182", "1301"}
    assert signup_purposes()
