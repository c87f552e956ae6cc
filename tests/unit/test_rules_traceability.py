"""docs/rules.md stays true: every policy rule maps to code that exists and tests that name it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES_DOC = ROOT / "docs" / "rules.md"
# CI clones main with shared/ beside it; the policy's rules are numbered there.
POLICY_RULES = ROOT.parent / "shared" / "policy-rules.md"
RULE_ID = re.compile(r"R-[A-Z]+-\d+")
OPEN = re.compile(r"^open: issue \d+$")


def _rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in RULES_DOC.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and RULE_ID.fullmatch(cells[0]):
            rows[cells[0]] = (cells[2], cells[3])
    return rows


def _refs(cell: str) -> list[str]:
    return [
        ref.replace("P/", "layers/core/partnercenter/", 1) for ref in re.findall(r"`([^`]+)`", cell)
    ]


def test_the_table_lists_every_rule_of_the_policy() -> None:
    listed = set(_rows())
    assert len(listed) >= 30
    if POLICY_RULES.exists():
        assert listed == set(RULE_ID.findall(POLICY_RULES.read_text("utf-8")))


@pytest.mark.parametrize("rule", sorted(_rows()))
def test_each_rule_names_existing_code_and_tests_that_name_it(rule: str) -> None:
    code, tests = _rows()[rule]
    if OPEN.match(code):
        assert not tests  # an open rule claims no test
        return
    assert _refs(code), f"{rule}: no code named"
    for ref in _refs(code):
        assert (ROOT / ref).exists(), f"{rule}: {ref} does not exist"
    assert _refs(tests), f"{rule}: no test named"
    for ref in _refs(tests):
        path, _, name = ref.partition("::")
        text = (ROOT / path).read_text("utf-8")
        match = re.search(
            rf"^(?:async )?def {name}\(.*?(?=^(?:async )?def |^@|\Z)", text, re.M | re.S
        )
        assert match, f"{rule}: {ref} is not a test"
        # The rule is named in the test's body or in the comment lines right above it.
        above = text[: match.start()].splitlines()[-3:]
        assert rule in match.group(0) or any(rule in line for line in above), (
            f"{rule}: {ref} does not name the rule"
        )
