"""A rebuild does work once where it can: on SQLite the targets' text is indexed a run of inserts
at a time instead of by the trigger row by row (the registry history is not written at all: it
is read from the trail's acts, ``test_history_from_trail.py``). The rows, the text search's
answers and the positions are those of read models built event by event, a rebuild cut short
leaves nothing inconsistent, and the trigger is never missing outside a rebuild's own
transaction."""

from __future__ import annotations

from typing import Any

import pytest

from projections import queries
from projections.runner import ProjectionRunner
from projections.tables import TARGET_TEXT

from .world import VECTOR_CODES, PowerCut, change_things, cut_power_in_batch, dump

TEXTS = ["天宁区取水户", "取水户0", "改名后的水厂", "MA1MB3", "32040", "自来水"]


def _renamed(world: Any) -> None:
    """Every event type, and a target renamed (its text indexed again)."""
    change_things(world)
    world.registry.update_target(
        world.targets[VECTOR_CODES[0]], {"name": "改名后的水厂"}, "更名", "api", "clerk-szc"
    )


def _answers(engine: Any) -> dict[str, list[str]]:
    found = {}
    for q in TEXTS:
        items = queries.search_targets(engine, q=q, limit=500)["items"]
        found[q] = sorted(row["code"] for row in items)
    return found


def _insert_trigger(engine: Any) -> list[str]:
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (f"{TARGET_TEXT}_insert",),
        )
        return [str(r[0]) for r in rows]


def test_a_rebuild_indexes_text_by_runs_and_ends_with_the_rows_built_event_by_event(
    world, read_models, ledger
):
    _renamed(world)
    ledger.seal()
    incremental, answers = dump(read_models.engine), _answers(read_models.engine)
    assert answers["改名后的水厂"] == [VECTOR_CODES[0]]  # the oracle finds the new name
    trigger = _insert_trigger(read_models.engine)
    runner = ProjectionRunner(ledger, read_models.engine, batch=7)
    runner.rebuild()
    assert dump(read_models.engine) == incremental
    assert _answers(read_models.engine) == answers
    assert _insert_trigger(read_models.engine) == trigger


def test_a_rebuild_cut_short_keeps_text_consistent_and_the_trigger(
    world, read_models, ledger, monkeypatch
):
    """Killed in its third batch: the committed batches hold the acts they applied and the
    text of the targets they inserted, the insert trigger is there (dropped
    only inside each batch's transaction), and a new runner's catch-up ends with what read
    models built event by event hold."""
    _renamed(world)
    ledger.seal()
    incremental, answers = dump(read_models.engine), _answers(read_models.engine)
    trigger = _insert_trigger(read_models.engine)
    runner = ProjectionRunner(ledger, read_models.engine, batch=7)
    cut_power_in_batch(monkeypatch, runner)
    with pytest.raises(PowerCut):
        runner.rebuild()
    positions = runner.positions()
    with read_models.engine.connect() as conn:
        acts = conn.exec_driver_sql("SELECT max(position) FROM trail_acts").scalar()
    assert acts is not None and 0 < acts <= positions["trail"]
    assert _insert_trigger(read_models.engine) == trigger
    ProjectionRunner(ledger, read_models.engine).catch_up()
    assert dump(read_models.engine) == incremental
    assert _answers(read_models.engine) == answers


def test_a_rebuild_over_a_record_edited_in_the_data_directory_stops_and_reports_nothing(
    world, read_models, ledger, new_ledger
):
    """The operator with the data directory edits a sealed target's district (its signature
    kept): the rebuild stops on the signed checkpoint naming the record, before any batch; no
    projection reports a position, no act is in the trail (so no entry has a history) and no
    target is served."""
    from ledger.errors import TamperedEvent

    from ..tamper.test_sealed_prefix import _edit

    _renamed(world)
    ledger.seal()
    position = _edit(ledger, "target.registered", district="320412")
    runner = ProjectionRunner(new_ledger(), read_models.engine, batch=7)
    with pytest.raises(TamperedEvent, match=rf"^ledger position {position}: .*signature"):
        runner.rebuild()
    assert set(runner.positions().values()) == {0}
    assert queries.search_targets(read_models.engine, limit=500)["items"] == []
    with read_models.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM trail_acts").scalar() == 0
