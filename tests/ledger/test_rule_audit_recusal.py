"""A recusal the ledger lets through, and the rule audit names.

An inspector drawn onto a team declares, after the draw, an interest in the target. The ledger
checks a visit against the drawn team (and its logged substitutions), not against declarations
made since: if the division does not substitute, the visit is recorded. ``python -m verify
--rules`` then names the declaration and the visit; with the substitution, it finds nothing.
"""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

import pytest

from ledger.demo.bureau import build_demo
from ledger.demo.changzhou import AGGREGATOR
from ledger.draws.service import Draws
from ledger.export import export_bundle
from ledger.inspections.evidence import EvidenceStore
from ledger.inspections.service import Inspections
from ledger.registry.service import Registry
from verify.__main__ import EXIT_RULE_FINDINGS, main

from .test_draws import run_draw
from .test_inspections import TODAY


@pytest.fixture
def drawn(ledger):
    build_demo(ledger, targets=300, inspectors=30, today=TODAY)
    draws = Draws(ledger, today=date(2026, 11, 1))
    draw, teams = run_draw(draws)
    team = teams[0]
    target = draws.registry_at(None).target_by_key()[team["target"]].aggregate
    Registry(ledger).declare_conflict(
        team["members"][0], UUID(target), "与该单位负责人系近亲属", by=AGGREGATOR
    )
    return draw, team


def _visit(ledger, tmp_path, draw, team, present):
    inspections = Inspections(ledger, EvidenceStore(tmp_path / "evidence"), today=lambda: TODAY)
    inspection = inspections.notify(
        {"source": str(draw), "target": team["target"], "notified_on": "2026-11-05"}, "szc-clerk"
    )
    inspections.carry_out(
        inspection, {"on": "2026-11-10", "method": "现场检查", "present": present}, "szc-clerk"
    )


def _audit(ledger, tmp_path, capsys):
    export_bundle(ledger, tmp_path / "ledger.jsonl")
    capsys.readouterr()
    key = str(ledger.signer.verifier)
    status = main([str(tmp_path / "ledger.jsonl"), "--key", key, "--rules", "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_a_visit_by_an_inspector_who_declared_an_interest_is_a_recusal_finding(
    ledger, drawn, tmp_path, capsys
):
    draw, team = drawn
    _visit(ledger, tmp_path, draw, team, team["members"])  # the ledger records it
    status, report = _audit(ledger, tmp_path, capsys)
    assert report["intact"] and report["authority"]["ok"]
    assert status == EXIT_RULE_FINDINGS
    recusals = [f for f in report["rule_audit"]["findings"] if f["rule"] == "recusal"]
    assert len(recusals) == 1
    types = [e["type"] for e in recusals[0]["events"]]
    assert types == [
        "inspection.carried_out",
        "inspection.notified",
        "inspector.conflict_declared",
    ]
    assert f"inspector {team['members'][0]}: recused" in recusals[0]["message"]


def test_with_the_logged_substitute_the_recusal_is_kept(ledger, drawn, tmp_path, capsys):
    draw, team = drawn
    recused = team["members"][0]
    substitute = Draws(ledger).substitute(draw, team["target"], recused, "回避", "szc-clerk")
    _visit(ledger, tmp_path, draw, team, [substitute, team["members"][1]])
    status, report = _audit(ledger, tmp_path, capsys)
    assert not [f for f in report["rule_audit"]["findings"] if f["rule"] == "recusal"]
    assert report["rule_audit"]["rules"]["recusal"]["checked"] == 2
    # The only other finding: this test's draw follows no plan. (A year's participation is
    # judged once it is over: the audit judges as of the bundle's last event, which the clock
    # stamped, so from January on the inspection's year, 2026, is judged too.)
    rules = {f["rule"] for f in report["rule_audit"]["findings"]}
    over = date.fromisoformat(report["rule_audit"]["as_of"]).year > 2026
    participation = {"participation_staff", "participation_agency_rounds"}
    assert rules - participation == {"plan_bounds"} and (over or not rules & participation)
    assert status == EXIT_RULE_FINDINGS
