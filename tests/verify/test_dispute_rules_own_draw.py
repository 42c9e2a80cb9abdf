"""A dispute file about a draw judges "every selected target inspected" for that draw only
(``verify/dispute_rules.py``, ``_own``). The file also holds the other visits to its targets
with their draws (for the yearly cap), but not every inspection of those other draws: a target
of another draw is not reported as never inspected, and a target of the file's own draw that
was never inspected is.

The file's events are built here, fixed (no random demo): draw A (the file's) selected T1 and
T2 in March 2026; draw B selected T1 and T3. T1 was inspected under both (A's visit and, in the
same year, B's: the file holds B's draw for the cap). T2 was never inspected; T3 was inspected
under B in the whole ledger, but that visit is not about A's targets, so not in the file."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from verify.dispute_rules import audit_file
from verify.events import SignedEvent

T1, T2, T3 = "91320411MA1MB3K8XT", "91320413MA38QLCPXR", "91320412MA1Q4UGK5P"
DRAW_A, DRAW_B = "draw-a", "draw-b"
AS_OF = (99, "2026-06-01T02:00:00Z")  # after March, the plans' period: the rule is judged


def _event(type_: str, aggregate: str, time: str, payload: dict[str, Any]) -> SignedEvent:
    envelope = {"type": type_, "aggregate": aggregate, "time": time, "payload": payload}
    data = json.dumps(envelope, sort_keys=True).encode()
    return SignedEvent(envelope, data, hashlib.sha256(data).digest(), b"k", b"s")


def _draw(draw: str, plan: str, targets: list[str], day: str) -> list[SignedEvent]:
    selected = {"strata": [{"stratum": "all", "selected": [{"target": t} for t in targets]}]}
    opened = {
        "division": "szc",
        "plan": plan,
        "counts": {"all": len(targets)},
        "criteria": {"division": "szc", "items": ["qsxk"]},
        "items": ["qsxk"],
        "stratify_by": None,
        "team_size": 2,
        "weighted": False,
    }
    return [
        _event("draw.opened", draw, f"{day}T01:00:00Z", opened),
        _event("draw.targets_selected", draw, f"{day}T01:05:00Z", selected),
    ]


def _plan(plan: str) -> SignedEvent:
    return _event(
        "plan.drafted",
        plan,
        "2026-02-10T01:00:00Z",
        {
            "division": "szc",
            "kind": "monthly",
            "period": "2026-03",
            "content": {"counts": {"all": 2}, "items": ["qsxk"], "team_size": 2},
            "deadlines": {"report_by": "2026-02-20", "upload_by": "2026-02-25"},
        },
    )


def _visit(inspection: str, draw: str, target: str, on: str) -> list[SignedEvent]:
    notified = {
        "source": draw,
        "random": True,
        "target": target,
        "division": "szc",
        "items": ["qsxk"],
        "notified_on": on,
    }
    carried = {"on": on, "present": ["ZF-001", "ZF-002"], "method": "on_site"}
    return [
        _event("inspection.notified", inspection, f"{on}T01:00:00Z", notified),
        _event("inspection.carried_out", inspection, f"{on}T02:00:00Z", carried),
    ]


def _file(*, with_b_s_visit_to_t3: bool = False) -> list[tuple[int, int, SignedEvent]]:
    """The events of the dispute file of draw A (in log order), as its writer gathers them:
    A's acts and visits, and the other visit to T1 with its draw B."""
    events = [
        _plan("plan-a"),
        _plan("plan-b"),
        *_draw(DRAW_A, "plan-a", [T1, T2], "2026-03-02"),
        *_draw(DRAW_B, "plan-b", [T1, T3], "2026-03-03"),
        *_visit("visit-a-t1", DRAW_A, T1, "2026-03-10"),
        *_visit("visit-b-t1", DRAW_B, T1, "2026-03-20"),
    ]
    if with_b_s_visit_to_t3:
        events += _visit("visit-b-t3", DRAW_B, T3, "2026-03-21")
    return [(n, n, e) for n, e in enumerate(events, 1)]


def _not_inspected(audit: Any) -> list[tuple[str, str]]:
    """(draw, target) of each "selected target not inspected" finding."""
    found = [f for f in audit.audit.findings if f.rule == "selection_inspected"]
    return [(f.facts["draw"], f.facts["target"]) for f in found]


def test_a_draw_file_reports_its_own_uninspected_selection_and_not_another_draw_s():
    audit = audit_file("draw", _file(), AS_OF, DRAW_A)
    assert "selection_inspected" in audit.judged
    assert _not_inspected(audit) == [(DRAW_A, T2)]
    finding = next(f for f in audit.audit.findings if f.rule == "selection_inspected")
    assert (finding.events[0].type, finding.events[0].id) == ("draw.targets_selected", DRAW_A)
    assert f"target {T2} selected by draw {DRAW_A} was not inspected by 2026-03-31" in (
        finding.message
    )


def test_the_other_draw_s_selection_would_be_a_false_finding_without_judging_the_own_draw_only():
    """Without the file's key the audit judges every draw in the file: B's T3, inspected under
    B in the ledger but not in the file, looks never inspected — the false finding ``_own``
    keeps out."""
    unfiltered = audit_file("draw", _file(), AS_OF)
    assert sorted(_not_inspected(unfiltered)) == [(DRAW_A, T2), (DRAW_B, T3)]
    # In a file that did hold B's visit to T3, B's selection is complete either way.
    whole = audit_file("draw", _file(with_b_s_visit_to_t3=True), AS_OF)
    assert _not_inspected(whole) == [(DRAW_A, T2)]


def test_the_file_of_the_other_draw_judges_its_own_selection_the_same_way():
    audit = audit_file("draw", _file(with_b_s_visit_to_t3=True), AS_OF, DRAW_B)
    assert _not_inspected(audit) == []
    audit = audit_file("draw", _file(), AS_OF, DRAW_B)
    assert _not_inspected(audit) == [(DRAW_B, T3)]


def test_before_the_period_ends_nothing_is_judged_yet():
    early = (99, "2026-03-25T02:00:00Z")
    assert _not_inspected(audit_file("draw", _file(), early, DRAW_A)) == []


def test_a_file_about_an_inspection_or_a_target_does_not_judge_selections():
    for subject in ("inspection", "target", "official"):
        audit = audit_file(subject, _file(), AS_OF, "visit-a-t1")
        assert "selection_inspected" not in audit.judged and _not_inspected(audit) == []
