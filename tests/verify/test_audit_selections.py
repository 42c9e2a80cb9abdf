"""The rule audit names every selected target not inspected by its plan period's end: a clerk who
draws a friend's company and then never visits it is found, whatever else the ledger shows."""

from __future__ import annotations

from datetime import date
from typing import Any

from verify.audit_log import AuditLog, EventRef, Inspection, Plan, RuleAudit
from verify.audit_selections import RULE, Selections, period_end

FRIEND, OTHER, THIRD = "91320411MA1MB3K8XT", "91320413MA38QLCPXR", "91320412MA1Q4UGK5P"


def _selected(draw: str, targets: list[str]) -> dict[str, Any]:
    return {"strata": [{"stratum": "all", "selected": [{"target": t} for t in targets]}]}


def _log(plan_kind: str = "monthly", period: str = "2026-03") -> AuditLog:
    log = AuditLog()
    log.year = 2026
    ref = EventRef(1, "plan.drafted", "plan-1")
    log.plans["plan-1"] = Plan("szc", plan_kind, period, {}, {}, ref)
    return log


def _visit(log: AuditLog, draw: str, target: str, on: str) -> None:
    ref = EventRef(50, "inspection.notified", f"i-{target}")
    log.inspections[f"i-{target}"] = Inspection(draw, True, target, "szc", ["qsxk"], ref, on=on)


def _audit(log: AuditLog, events: list[tuple[EventRef, dict[str, Any]]], as_of: date) -> RuleAudit:
    family, audit = Selections(), RuleAudit()
    for ref, payload in events:
        family.judge(ref, payload, log, audit)
    family.finish(log, audit, as_of)
    return audit


def _draw(draw: str = "d1", plan: str | None = "plan-1") -> list[tuple[EventRef, dict[str, Any]]]:
    return [
        (EventRef(10, "draw.opened", draw), {"division": "szc", "plan": plan}),
        (EventRef(13, "draw.targets_selected", draw), _selected(draw, [FRIEND, OTHER, THIRD])),
    ]


def test_a_selected_target_never_visited_by_the_months_end_is_a_finding():
    log = _log()
    _visit(log, "d1", OTHER, "2026-03-20")
    _visit(log, "d1", THIRD, "2026-04-02")  # visited, but after the month ended
    audit = _audit(log, _draw(), as_of=date(2026, 5, 1))
    messages = [f.message for f in audit.findings if f.rule == RULE]
    assert len(messages) == 2 and audit.checked[RULE] == 3
    assert any(FRIEND in m and "not inspected by 2026-03-31" in m for m in messages)
    assert any(THIRD in m and "first visited on 2026-04-02" in m for m in messages)
    found = next(f for f in audit.findings if FRIEND in f.message)
    assert [e.type for e in found.events] == ["draw.targets_selected", "draw.opened"]


def test_nothing_is_found_before_the_period_ends_nor_for_an_abandoned_draw():
    assert _audit(_log(), _draw(), as_of=date(2026, 3, 31)).findings == []
    abandoned = [*_draw(), (EventRef(14, "draw.abandoned", "d1"), {"reason": "误选"})]
    assert _audit(_log(), abandoned, as_of=date(2027, 1, 1)).findings == []


def test_a_rolled_over_draw_has_until_the_end_of_the_month_it_was_carried_into():
    log = _log()
    rolled = [*_draw(), (EventRef(20, "draw.rolled_over", "d1"), {"to_month": "2026-04"})]
    for target in (FRIEND, OTHER, THIRD):
        _visit(log, "d1", target, "2026-04-28")
    assert _audit(log, rolled, as_of=date(2026, 6, 1)).findings == []
    assert len(_audit(_log(), rolled, as_of=date(2026, 6, 1)).findings) == 3


def test_a_draw_outside_a_plan_has_until_the_end_of_its_year():
    log = _log(plan_kind="annual", period="2026")
    assert _audit(log, _draw(plan=None), as_of=date(2026, 12, 31)).findings == []
    found = _audit(log, _draw(plan=None), as_of=date(2027, 1, 2)).findings
    assert len(found) == 3 and "the year 2026 (the draw follows no plan)" in found[0].message


def test_period_ends():
    assert period_end("monthly", "2026-02") == date(2026, 2, 28)
    assert period_end("monthly", "2028-02") == date(2028, 2, 29)
    assert period_end("annual", "2026") == date(2026, 12, 31)


def test_an_inspection_step_dated_before_the_step_it_follows_is_a_finding():
    from verify.audit_steps import RULE as STEPS
    from verify.audit_steps import StepDates

    log, family, audit = AuditLog(), StepDates(), RuleAudit()
    log.draw_division["d1"] = "szc"
    events = [
        ("draw.inspectors_assigned", "d1", {"on_date": "2026-03-10", "teams": []}),
        (
            "inspection.notified",
            "i1",
            {"source": "d1", "division": "szc", "notified_on": "2026-03-09"},
        ),
        ("inspection.carried_out", "i1", {"on": "2026-03-08"}),
        ("inspection.confirmation_recorded", "i1", {"on": "2026-03-12"}),
        (
            "inspection.followed_up",
            "i1",
            {
                "kind": "order_to_correct",
                "on": "2026-03-13",
                "details": {"correct_by": "2026-03-01"},
            },
        ),
        ("inspection.closed", "i1", {"on": "2026-03-12"}),
    ]
    for n, (kind, aggregate, payload) in enumerate(events):
        family.judge(EventRef(n, kind, aggregate), payload, log, audit)
    found = [(f.events[0].type, f.message) for f in audit.findings if f.rule == STEPS]
    assert [t for t, _ in found] == [
        "inspection.notified",  # before the draw assigned its team
        "inspection.carried_out",  # before the notice
        "inspection.followed_up",  # correct_by before the order
        "inspection.closed",  # before the follow-up
    ]
    assert "2026-03-09 is before d1 drew (or directed) it on 2026-03-10" in found[0][1]
    assert audit.checked[STEPS] == 6
