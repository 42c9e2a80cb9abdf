"""Every service path that reads the log refuses a stored event edited behind its back.

An intruder with the database drops the append-only triggers and edits one record, keeping its
old signature: a company's district in its ``target.registered`` event (to move it out of a
draw's population), or a draw's ``draw.opened`` event. The ledger is then opened afresh, as the
service is after a restart. Each path that folds the edited event — a draw's freeze and later
steps (the registry fold), the draw record, coverage, the monthly rollover, opening a draw on a
plan (its bounds), the plan view and the read models' catch-up — refuses with TamperedEvent
naming the edited event's ledger position, and records nothing. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine

from ledger.demo.bureau import build_demo
from ledger.draws.record import draw_record
from ledger.draws.service import Draws
from ledger.errors import TamperedEvent
from ledger.plans.coverage import Coverage
from ledger.plans.rollover import MonthlyRollover
from ledger.plans.service import Plans
from projections.runner import ProjectionRunner
from tests.ledger.workflow import draw_until, uploaded_plan, with_ceremony

from .bundle_edits import with_payload_keeping_signature
from .test_store_tampering import _drop_append_only_triggers, _execute

MARCH = {
    "division": "szc",
    "kind": "monthly",
    "period": "2026-03",
    "items": ["qsxk"],
    "counts": {"all": 6},
    "team_size": 2,
}
SPEC = {"division": "szc", "items": ["qsxk"], "team_size": 2}
CLERK = "szc-clerk"


@pytest.fixture
def bureau(ledger):
    """A registry, a monthly plan, a draw selected on it and a second one only opened."""
    build_demo(ledger, targets=60, inspectors=20)
    plan = uploaded_plan(ledger, MARCH, date(2026, 2, 18))
    draws = Draws(ledger, today=date(2026, 3, 10))
    spec = {**SPEC, "plan": str(plan)}
    selected = draw_until(draws, {**spec, "counts": {"all": 2}}, last="select")
    opened = draws.open(
        with_ceremony({**spec, "kinds": ["enterprise"], "counts": {"all": 3}}), CLERK
    )
    return ledger, plan, selected, opened


def _edit(app, topic: str, **changes) -> int:
    """Edit the first stored ``topic`` event's payload in the database, keeping its signature;
    return its ledger position."""
    n = next(iter(app.notifications(topics=[topic])))
    edited = with_payload_keeping_signature(n.state, **changes)
    _drop_append_only_triggers(app)
    _execute(app, f"UPDATE {app.events_table} SET state = ? WHERE state = ?", (edited, n.state))
    return n.id


def _refused(app, position: int, path) -> None:
    """``path`` refuses with TamperedEvent naming ``position``, and records nothing."""
    size = app.recorder.max_notification_id()
    with pytest.raises(TamperedEvent, match=rf"^ledger position {position}: .*signature"):
        path()
    assert app.recorder.max_notification_id() == size


def test_a_target_edited_in_the_database_is_refused_by_every_path_that_folds_the_registry(
    bureau, new_ledger
):
    ledger, _plan, selected, opened = bureau
    position = _edit(ledger, "target.registered", district="320412")
    app = new_ledger()  # the service restarted: nothing read before is trusted
    draws = Draws(app, today=date(2026, 3, 11))

    _refused(app, position, lambda: draws.freeze(opened, CLERK))
    _refused(app, position, lambda: draws.assign(selected, CLERK))
    _refused(app, position, lambda: draw_record(draws, selected))
    _refused(app, position, lambda: Coverage(app).for_division("szc", year=datetime.now(UTC).year))
    runner = ProjectionRunner(app, create_engine("sqlite://"))
    _refused(app, position, runner.catch_up)
    assert set(runner.positions().values()) == {0}  # the read models took nothing in


def test_a_draw_edited_in_the_database_is_refused_by_the_plan_and_draw_paths(bureau, new_ledger):
    ledger, plan, selected, _opened = bureau
    position = _edit(ledger, "draw.opened", counts={"all": 1})
    app = new_ledger()
    draws = Draws(app, today=date(2026, 3, 11))
    # Coverage and the draws' records read every draw; the first draw opened is the edited one.
    _refused(
        app,
        position,
        lambda: MonthlyRollover(app, today=date(2026, 4, 1)).roll_over("2026-03", "szc-aggregator"),
    )
    again = {**SPEC, "plan": str(plan), "kinds": ["individual"], "counts": {"all": 1}}
    _refused(app, position, lambda: draws.open(with_ceremony(again), CLERK))
    _refused(app, position, lambda: Coverage(app).for_division("szc", year=datetime.now(UTC).year))
    # Reading one draw's own events names the aggregate (and its version) instead.
    size = app.recorder.max_notification_id()
    with pytest.raises(TamperedEvent, match=rf"^aggregate {selected}: .* v1: .*signature"):
        draw_record(draws, selected)
    with pytest.raises(TamperedEvent, match=re.escape(str(selected))):
        draws.selected_targets(selected)
    assert app.recorder.max_notification_id() == size


def test_the_plan_view_refuses_an_edited_rollover(bureau):
    ledger, _plan, _selected, _opened = bureau
    april = uploaded_plan(ledger, {**MARCH, "period": "2026-04"}, date(2026, 3, 18))
    MonthlyRollover(ledger, today=date(2026, 4, 1)).roll_over("2026-03", "szc-aggregator")
    assert Plans(ledger).show(april)["carried_in"]["plans"]  # read once, genuine
    position = _edit(ledger, "plan.rolled_over", counts_not_drawn={"all": 6})
    _refused(ledger, position, lambda: Plans(ledger).show(april))  # the same running service
