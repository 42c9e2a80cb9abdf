"""Participation shares (verify/participation_rules.py): whole-number comparisons, the policy's
thresholds, and the defaults equal to the default policy document's."""

from __future__ import annotations

import tomllib
from pathlib import Path

from verify.participation_rules import (
    DEFAULT_MIN_AGENCY_ROUNDS_PERCENT,
    DEFAULT_MIN_STAFF_PERCENT,
    agency_rounds_problem,
    below,
    staff_problem,
    thresholds,
)

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "ledger" / "policy_default.toml"


def test_exactly_the_threshold_keeps_the_rule_and_one_short_breaks_it() -> None:
    assert not below(1, 2, 50)  # 50% of 2 is kept
    assert below(1, 3, 50)  # 33% is not
    assert not below(3, 10, 30) and below(2, 10, 30)
    assert not below(0, 0, 100)  # nobody to count: nothing short


def test_the_thresholds_come_from_the_policy_and_default_to_the_documents() -> None:
    document = tomllib.loads(DEFAULT_POLICY.read_text(encoding="utf-8"))
    assert thresholds(document) == (DEFAULT_MIN_STAFF_PERCENT, DEFAULT_MIN_AGENCY_ROUNDS_PERCENT)
    assert thresholds({}) == (50, 30)
    strict = {"participation": {"min_staff_percent": 80, "min_agency_rounds_percent": 40}}
    assert thresholds(strict) == (80, 40)
    assert staff_problem(3, 4, {}) is None
    problem = staff_problem(3, 4, strict)
    assert problem == (
        "3 of its 4 enforcement staff took part in an inspection (75%); "
        "the policy asks at least 80%"
    )
    assert agency_rounds_problem(1, 3, {}) is None  # 33% ≥ 30%
    assert agency_rounds_problem(1, 3, strict) == (
        "agency (机关) staff took part in 1 of its 3 enforcement rounds (33%); "
        "the policy asks at least 40%"
    )
