"""Repeated substitutions (docs/STEERING.md): each substitution takes the next inspector of the
team's seeded walk, so no one picks the newcomer — but a clerk who substitutes again and again,
each time with a plausible reason, walks down the order to the inspector they want. The ledger
cannot refuse a real chain of conflicts; the rule audit counts them (``substitutions``,
verify/audit_substitutions.py): a team substituted more often than the policy allows is a
finding naming every substitution, in the verifier and in Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.draws.service import Draws
from ledger.export import export_bundle
from ledger.fields import InvalidFields
from ledger.policy_rules import check_document
from tests.ledger.workflow import reveal, with_ceremony
from verify.bundle import read_bundle
from verify.finding_texts import finding_text
from verify.rule_audit import RuleAudit, audit_bundle

CLERK = "szc-clerk"
SPEC = {"division": "szc", "items": ["qsxk"], "counts": {"all": 2}, "team_size": 2}


@pytest.fixture
def bureau(demo_ledger):  # type: ignore[no-untyped-def]
    ledger, _ = demo_ledger(targets=40, inspectors=60)
    return ledger


def _assigned(ledger: Any) -> tuple[Draws, UUID, str, str]:
    """A draw with its teams assigned: (draws, the draw, a target's key, one of its members)."""
    draws = Draws(ledger)
    draw = draws.open(with_ceremony(SPEC), CLERK)
    draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    draws.select(draw, CLERK)
    team = draws.assign(draw, CLERK)[0]
    return draws, draw, team["target"], team["members"][0]


def _audit(ledger: Any, tmp_path: Path) -> RuleAudit:
    out = tmp_path / "bundle.jsonl"
    export_bundle(ledger, out)
    return audit_bundle(read_bundle(out))


def _substituted(ledger: Any, times: int) -> list[int]:
    """One seat of one team substituted ``times`` times in a row (each newcomer replaced
    again); the positions of the substitutions."""
    draws, draw, target, member = _assigned(ledger)
    positions = []
    for n in range(times):
        member = draws.substitute(draw, target, member, f"回避（第 {n + 1} 次）", CLERK)
        positions.append(int(ledger.recorder.max_notification_id()))
    return positions


def test_substitutions_within_the_policy_are_no_finding(bureau, tmp_path):
    _substituted(bureau, 2)

    audit = _audit(bureau, tmp_path)

    assert audit.checked["substitutions"] == 2
    assert [f for f in audit.findings if f.rule == "substitutions"] == []


def test_a_team_substituted_again_and_again_is_a_finding_naming_each_substitution(bureau, tmp_path):
    positions = _substituted(bureau, 3)

    audit = _audit(bureau, tmp_path)

    [finding] = [f for f in audit.findings if f.rule == "substitutions"]
    assert [e.position for e in finding.events] == [p - 1 for p in positions]  # leaf indexes
    assert "substituted 3 times; the policy allows 2" in finding.message
    text = finding_text(finding)
    assert "被替补 3 次" in text and "至多 2 次" in text


def test_the_policy_sets_how_often_and_refuses_what_is_out_of_range():
    check_document({"version": "x", "draws": {"substitutions_per_team": 5}})
    for times in (0, 21, "2"):
        with pytest.raises(InvalidFields, match="draws.substitutions_per_team"):
            check_document({"version": "x", "draws": {"substitutions_per_team": times}})
