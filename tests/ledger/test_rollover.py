"""Monthly rollover: what a monthly plan left unfinished moves into the next month, once."""

from __future__ import annotations

from datetime import date

import pytest

from api.cli import main as drawledger
from ledger.demo.bureau import build_demo
from ledger.draws.service import Draws
from ledger.errors import BadInput, Conflict, Forbidden
from ledger.plans.rollover import MonthlyRollover
from ledger.plans.service import Plans
from ledger.policy import default_policy
from tests.ledger.workflow import draw_until, uploaded_plan
from verify.events import decode_record

MARCH = {
    "division": "szc",
    "kind": "monthly",
    "period": "2026-03",
    "items": ["qsxk"],
    "counts": {"all": 6},
    "team_size": 2,
}


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=150, inspectors=24)
    return ledger


def march_with_an_unfinished_draw(app):
    plan = uploaded_plan(app, MARCH, date(2026, 2, 18))
    draws = Draws(app, today=date(2026, 3, 10))
    spec = {"division": "szc", "items": ["qsxk"], "team_size": 2, "plan": str(plan)}
    finished = draw_until(draws, {**spec, "counts": {"all": 2}})
    # A second population of the plan (its enterprises): one population is drawn once.
    enterprises = {**spec, "kinds": ["enterprise"], "counts": {"all": 3}}
    unfinished = draw_until(draws, enterprises, last="select")
    return plan, finished, unfinished


def test_an_unfinished_draw_and_undrawn_counts_roll_over_into_the_next_month_once(bureau):
    plan, finished, unfinished = march_with_an_unfinished_draw(bureau)
    april = uploaded_plan(bureau, {**MARCH, "period": "2026-04"}, date(2026, 3, 18))

    with pytest.raises(Conflict, match="ends on 2026-03-31"):
        MonthlyRollover(bureau, today=date(2026, 3, 31)).roll_over("2026-03", "szc-aggregator")
    result = MonthlyRollover(bureau, today=date(2026, 4, 1)).roll_over("2026-03", "szc-aggregator")

    [moved] = result["plans"]
    assert moved["to_month"] == "2026-04" and moved["month_ended"] == "2026-03-31"
    assert moved["unfinished_draws"] == [{"draw": str(unfinished), "step": "selected"}]
    assert moved["counts_not_drawn"] == {"all": 1}  # 6 planned, 2 + 3 in its draws
    assert result["draws"] == [str(unfinished)]
    [event] = [s for s in bureau.recorder.select_events(plan) if s.topic == "plan.rolled_over"]
    assert decode_record(event.state).envelope["actor"]["role"] == "plan_aggregator"
    assert Draws(bureau).get(unfinished).month == "2026-04"
    assert Draws(bureau).get(finished).month is None

    size = bureau.recorder.max_notification_id()
    again = MonthlyRollover(bureau, today=date(2026, 4, 2)).roll_over("2026-03", None)
    assert again["plans"] == [] and again["draws"] == []
    assert bureau.recorder.max_notification_id() == size  # nothing new recorded

    shown = Plans(bureau).show(april)
    assert [p["plan"] for p in shown["carried_in"]["plans"]] == [str(plan)]
    assert [d["draw"] for d in shown["carried_in"]["draws"]] == [str(unfinished)]
    assert Plans(bureau).show(plan)["rolled_over_to"] == "2026-04"

    # Still unfinished at the end of April: it moves on again, with no plan of its own there.
    may = MonthlyRollover(bureau, today=date(2026, 5, 1)).roll_over("2026-04", "szc-clerk")
    assert may["draws"] == [str(unfinished)]
    assert [p["plan"] for p in may["plans"]] == [str(april)]
    assert may["plans"][0]["counts_not_drawn"] == {"all": 6}


def test_a_draw_whose_teams_came_after_the_months_end_rolls_over_as_unfinished(bureau):
    plan = uploaded_plan(bureau, MARCH, date(2026, 2, 18))
    spec = {"division": "szc", "items": ["qsxk"], "team_size": 2, "plan": str(plan)}
    late = draw_until(
        Draws(bureau, today=date(2026, 3, 30)), {**spec, "counts": {"all": 6}}, "select"
    )
    Draws(bureau, today=date(2026, 4, 2)).assign(late, "szc-clerk")  # after 31 March

    result = MonthlyRollover(bureau, today=date(2026, 4, 3)).roll_over("2026-03", None)
    assert result["draws"] == [str(late)]
    assert result["plans"][0]["unfinished_draws"] == [{"draw": str(late), "step": "assigned"}]
    assert result["plans"][0]["counts_not_drawn"] == {}


def test_rollover_refusals_name_the_rule(bureau):
    march_with_an_unfinished_draw(bureau)
    later = MonthlyRollover(bureau, today=date(2026, 4, 1))
    with pytest.raises(BadInput, match="month '2026-3x'"):
        later.roll_over("2026-3x", None)
    with pytest.raises(Forbidden, match="谁审批谁监管"):
        later.roll_over("2026-03", "ggc-clerk")  # another division's plan
    bureau.set_policy(
        {**default_policy(), "version": "no-rollover/1", "plans": {"monthly_rollover": False}},
        actor=_system(),
    )
    with pytest.raises(Conflict, match="monthly_rollover off"):
        later.roll_over("2026-03", None)


def _system():
    from ledger.actors import SYSTEM

    return SYSTEM


def test_the_rollover_command_reports_what_moved(tmp_path, capsys):
    from ledger.application import LedgerApp

    data = tmp_path / "bureau"
    assert drawledger(["init", "--data", str(data)]) == 0
    app = LedgerApp.open(data)
    build_demo(app, targets=80, inspectors=16)
    march_with_an_unfinished_draw(app)
    app.close()
    capsys.readouterr()
    args = ["plans", "rollover", "--data", str(data), "--month", "2026-03"]
    assert drawledger(args) == 0
    assert "结转计划 1 个、抽取 1 次" in capsys.readouterr().out
    assert drawledger(args) == 0
    assert "结转计划 0 个、抽取 0 次" in capsys.readouterr().out


def test_the_rollover_over_http_and_the_next_months_plan_showing_it(bureau):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ledger.registry.service import Registry

    plan, _, unfinished = march_with_an_unfinished_draw(bureau)
    client = TestClient(create_app(bureau))
    client.headers["Authorization"] = (
        f"Bearer {Registry(bureau).issue_token('szc-aggregator', None)}"
    )
    moved = client.post("/plans/rollover", json={"month": "2026-03"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["draws"] == [str(unfinished)]
    shown = client.get(f"/plans/{plan}").json()
    assert shown["rolled_over_to"] == "2026-04" and shown["status"] == "uploaded"
    again = client.post("/plans/rollover", json={"month": "2026-03"}).json()
    assert again["plans"] == [] and again["draws"] == []
    assert client.post("/plans/rollover", json={"month": "March"}).status_code == 422
