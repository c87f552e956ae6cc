"""When destroyed data is really gone: each destruction record's two times, and the backup
windows of the tables that hold lookup hashes (docs/crypto-shredding.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from partnercenter.clock import iso, parse_iso, utc_now
from tests.conftest import AwsStack
from tests.integration.member_steps import OPERATOR, Person, decide, sign_up
from tests.integration.retention_support import pitr_days
from tests.support import api_event, call

# Every table whose items carry a lookup hash (phoneHash, loginIdHash, personHash).
LOOKUP_HASH_TABLES = ("MembersTable", "RetainedTable", "VerificationsTable")


def _destruction_records(start: str, end: str) -> list[dict[str, Any]]:
    event = api_event(
        "admin-destruction-records", claims=OPERATOR, query={"from": start, "to": end}
    )
    result = call("admin", event)
    assert result.status == 200, result.body
    return list(result.body["items"])


# R-RET-6: a lookup hash is kept only where backups last no longer than a shredded key's, and
# the functions compute backup expiry from the very windows the tables have.
def test_lookup_hashes_live_only_where_backups_are_as_short_as_the_keys(
    aws_stack: AwsStack,
) -> None:
    keys = pitr_days(aws_stack, "DataKeysTable")
    assert keys < 35  # shorter than DynamoDB's default window, or the bound means nothing
    for table in LOOKUP_HASH_TABLES:
        assert pitr_days(aws_stack, table) <= keys, table
    for function_id in ("AdminFunction", "WithdrawalFunction", "RetentionPurgeFunction"):
        env = aws_stack.env(function_id)
        assert int(env["KEY_BACKUP_DAYS"]) == keys
        assert int(env["VERIFICATION_BACKUP_DAYS"]) == pitr_days(aws_stack, "VerificationsTable")
        assert int(env["RECORD_BACKUP_DAYS"]) == pitr_days(aws_stack, "UsageRecordsTable")
        assert int(env["RECORD_BACKUP_DAYS"]) == pitr_days(aws_stack, "SanctionsTable")


# R-RET-6, R-RET-7: the operator sees when the application was destroyed and when its last
# backup copy (the data key's, and the lookup hashes') expires.
def test_a_destruction_record_shows_both_times(aws_stack: AwsStack) -> None:
    before = utc_now()
    signed_up = sign_up(Person.new(), "manager.kim")
    assert signed_up.status == 201, signed_up.body
    assert decide(signed_up.body["memberId"], "reject").status == 200

    [record] = _destruction_records(iso(before - timedelta(seconds=1)), iso(utc_now()))
    assert record["kind"] == "signup_application"
    destroyed = parse_iso(record["destroyedAt"])
    assert parse_iso(iso(before)) <= destroyed <= utc_now()  # iso() keeps milliseconds
    expected = destroyed + timedelta(days=pitr_days(aws_stack, "DataKeysTable"))
    assert parse_iso(record["backupsExpireAt"]) == expected
