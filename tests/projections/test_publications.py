"""The read models of inspections and publications: what the public column lists and what the
division's staff must do next — rebuilt from the log like every other read model."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.demo.bureau import build_demo
from ledger.draws.service import Draws
from ledger.errors import BadInput
from ledger.inspections.service import Inspections
from ledger.publications.service import Publishing
from ledger.registry.identities import bound_official
from projections.queries import search_publications
from projections.staff import awaiting_confirmation, publications_due

from ..ledger.test_draws import run_draw


def _at(day: str) -> date:
    return date.fromisoformat(day)


@pytest.fixture
def drawn(ledger, read_models):
    build_demo(ledger, targets=200, inspectors=24, today=_at("2026-12-31"))
    return run_draw(Draws(ledger, today=_at("2026-11-02")))


def _inspected(ledger, draw, team, on):
    service = Inspections(ledger, today=lambda: _at(on))
    inspection = service.notify(
        {"source": str(draw), "target": team["target"], "notified_on": on}, "szc-clerk"
    )
    service.carry_out(
        inspection, {"on": on, "method": "现场检查", "present": team["members"]}, "szc-clerk"
    )
    service.record_result(
        inspection,
        {"category": "no_problem", "recorded_by": team["members"][0]},
        bound_official(ledger, team["members"][0]),
    )
    return inspection


def _confirmed(ledger, inspection, on):
    Inspections(ledger, today=lambda: _at(on)).record_confirmation(
        inspection, {"on": on}, "szc-clerk"
    )


def test_the_staff_see_what_awaits_confirmation_what_is_due_and_what_is_overdue(
    ledger, read_models, drawn
):
    draw, teams = drawn
    waiting = _inspected(ledger, draw, teams[0], "2026-11-10")
    due = _inspected(ledger, draw, teams[1], "2026-11-10")
    _confirmed(ledger, due, "2026-11-20")
    overdue = _inspected(ledger, draw, teams[2], "2026-11-03")
    _confirmed(ledger, overdue, "2026-11-03")
    beyond = _inspected(ledger, draw, teams[3], "2026-12-28")
    _confirmed(ledger, beyond, "2026-12-28")
    read_models.runner.catch_up()

    assert [r["id"] for r in awaiting_confirmation(read_models.engine)] == [str(waiting)]
    policy = ledger.policy_in_force()
    lists = publications_due(read_models.engine, policy, _at("2026-11-25"))
    (row,) = [r for r in lists["due"] if r["id"] == str(due)]
    # Confirmed Fri 20 Nov: 7 working days later is Tue 1 Dec, 4 working days after the 25th.
    assert (row["deadline"], row["working_days_left"], row["channel"]) == (
        "2026-12-01",
        4,
        "results",
    )
    (late,) = lists["overdue"]
    # Confirmed Tue 3 Nov: deadline Thu 12 Nov; on the 25th that is 9 working days ago.
    assert (late["id"], late["deadline"], late["working_days_left"]) == (
        str(overdue),
        "2026-11-12",
        -9,
    )
    # A deadline in 2027, a year the calendar does not know, is reported, never guessed.
    (unknown,) = [r for r in lists["due"] if r["id"] == str(beyond)]
    assert unknown["deadline"] is None
    assert "no working-day calendar for 2027" in unknown["calendar_error"]

    # Read in January 2027 before the 2027 table is recorded: the 2026 deadlines are known and
    # passed, so both rows are overdue with their deadlines; only the working days since cannot
    # be counted (said in Chinese too). The deadline in 2027 is still not guessed.
    later = publications_due(read_models.engine, policy, _at("2027-01-04"))
    assert [(r["id"], r["deadline"], r["working_days_left"]) for r in later["overdue"]] == [
        (str(overdue), "2026-11-12", None),
        (str(due), "2026-12-01", None),
    ]
    assert all("没有 2027 年的工作日历" in r["calendar_error_zh"] for r in later["overdue"])
    assert [(r["id"], r["deadline"]) for r in later["due"]] == [(str(beyond), None)]

    Publishing(ledger, today=lambda: _at("2026-11-25")).publish(overdue, "results", "szc-clerk")
    read_models.runner.catch_up()
    assert publications_due(read_models.engine, policy, _at("2026-11-25"))["overdue"] == []


def test_the_column_lists_publications_newest_first_and_keeps_withdrawn_ones(
    ledger, read_models, drawn
):
    draw, teams = drawn
    first = _inspected(ledger, draw, teams[0], "2026-11-03")
    _confirmed(ledger, first, "2026-11-03")
    second = _inspected(ledger, draw, teams[1], "2026-11-10")
    _confirmed(ledger, second, "2026-11-10")
    old = Publishing(ledger, today=lambda: _at("2026-11-05")).publish(first, "results", "szc-clerk")
    Publishing(ledger, today=lambda: _at("2026-11-12")).publish(second, "results", "szc-clerk")
    Publishing(ledger).withdraw(old, "对象信息有误，撤回", "szc-clerk")
    read_models.runner.catch_up()

    found = search_publications(read_models.engine)
    assert found["total"] == 2
    assert [(r["target_code"], r["status"]) for r in found["items"]] == [
        (teams[1]["target"], "published"),
        (teams[0]["target"], "withdrawn"),
    ]
    row = found["items"][0]
    assert (row["category"], row["category_label"]) == ("no_problem", "未发现问题")
    assert (row["published_on"], row["deadline"], row["on_time"]) == (
        "2026-11-12",
        "2026-11-19",
        True,
    )
    assert search_publications(read_models.engine, status="withdrawn")["total"] == 1
    assert search_publications(read_models.engine, q=teams[1]["target"][-6:])["total"] == 1
    assert search_publications(read_models.engine, channel="double_publicity")["total"] == 0
    with pytest.raises(BadInput, match="channel"):
        search_publications(read_models.engine, channel="rumours")

    before = search_publications(read_models.engine)
    read_models.runner.rebuild()
    assert search_publications(read_models.engine) == before


def test_the_staff_see_a_double_publicity_deadline_from_the_first_penalty_decision(
    ledger, read_models, drawn
):
    """The same rule as the ledger and the verifier (verify/results.py, deadline_start): a
    second penalty decision does not move the 双公示 deadline the staff are shown."""
    draw, teams = drawn
    team = teams[0]
    service = Inspections(ledger, today=lambda: _at("2026-11-20"))
    inspection = service.notify(
        {"source": str(draw), "target": team["target"], "notified_on": "2026-11-03"}, "szc-clerk"
    )
    service.carry_out(
        inspection,
        {"on": "2026-11-03", "method": "现场检查", "present": team["members"]},
        "szc-clerk",
    )
    service.record_result(
        inspection,
        {"category": "problem_pending", "recorded_by": team["members"][0]},
        bound_official(ledger, team["members"][0]),
    )
    service.record_confirmation(inspection, {"on": "2026-11-03"}, "szc-clerk")
    service.follow_up(
        inspection,
        {"kind": "case_filed", "on": "2026-11-04", "case_number": "常水立〔2026〕21号"},
        "szc-clerk",
    )
    for on, number in (("2026-11-05", "常水罚〔2026〕30号"), ("2026-11-16", "常水罚〔2026〕31号")):
        decision = {
            "kind": "penalty_decided",
            "on": on,
            "decision_number": number,
            "penalty": "罚款",
        }
        service.follow_up(inspection, decision, "szc-clerk")
    read_models.runner.catch_up()

    lists = publications_due(read_models.engine, ledger.policy_in_force(), _at("2026-11-18"))
    (row,) = [
        r
        for r in lists["due"] + lists["overdue"]
        if r["id"] == str(inspection) and r["channel"] == "double_publicity"
    ]
    # Decided Thu 5 Nov: 7 working days later is Mon 16 Nov, overdue on the 18th (from the second
    # decision, Mon 16 Nov, it would have been Wed 25 Nov and still due).
    assert row["deadline"] == "2026-11-16"
    assert row in lists["overdue"]
