"""A crash in the middle of a batch never leaves rows without their position, or the reverse."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from projections import open_read_models
from projections.database import create_read_engine, read_database_url
from projections.runner import ProjectionRunner
from projections.tables import targets, trail_acts

from .world import change_things, credit_code, dump


class PowerCut(Exception):
    pass


def _targets(n: int, start: int = 0) -> list[dict[str, str]]:
    return [
        {"code": credit_code(i), "name": f"取水户{i}", "district": "武进区", "division": "szc"}
        for i in range(start, start + n)
    ]


def _crash_on(runner: ProjectionRunner, name: str, type_name: str, after: int) -> list[int]:
    """Make projection ``name`` fail on its ``after``+1-th ``type_name`` event; return a list
    that receives the rm_targets row count seen inside the failing transaction."""
    projection = next(p for p in runner.projections if p.name == name)
    handler = projection._handlers[type_name]
    seen: list[int] = []
    calls = 0

    def crashing(writer, event, position):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls > after:
            writer.flush()
            seen.append(writer.conn.execute(select(func.count()).select_from(targets)).scalar())
            raise PowerCut(f"power cut at position {position}")
        handler(writer, event, position)

    projection._handlers[type_name] = crashing
    return seen


def _count(engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_crash_mid_batch_rolls_back_its_rows_with_its_position_and_the_next_catch_up_completes(
    world, ledger, registry, tmp_path
):
    rm = open_read_models(ledger, f"sqlite:///{tmp_path / 'crash.sqlite'}", attach=False)
    committed = ledger.recorder.max_notification_id()
    registry.import_targets(_targets(12), "clerk-szc", "import")  # 12 events, not yet projected
    runner = ProjectionRunner(ledger, rm.engine, batch=5)
    seen = _crash_on(runner, "trail", "target.registered", after=7)
    before = _count(rm.engine, targets)

    with pytest.raises(PowerCut):
        runner.catch_up()

    # The first batch of 5 committed; the second wrote target rows, then crashed.
    assert seen == [before + 10]
    positions = runner.positions()
    first_batch_end = committed + 5
    assert set(positions.values()) == {first_batch_end}
    assert _count(rm.engine, targets) == before + 5
    with rm.engine.connect() as conn:
        newest = conn.execute(select(func.max(trail_acts.c.position))).scalar_one()
    assert newest == first_batch_end

    ProjectionRunner(ledger, rm.engine, batch=5).catch_up()
    assert _count(rm.engine, targets) == before + 12
    after_crash = dump(rm.engine)
    rm.runner.rebuild()
    assert dump(rm.engine) == after_crash
    rm.close()


def test_a_failed_catch_up_after_a_command_keeps_the_command_and_is_retried(
    world, ledger, registry, read_models
):
    seen = _crash_on(read_models.runner, "targets", "target.registered", after=0)
    report = registry.import_targets(_targets(3), "clerk-szc", "import")

    assert report.recorded == 3  # the command is recorded all the same
    assert seen  # the read side tried and failed
    assert isinstance(read_models.runner.last_error, PowerCut)
    assert len({*read_models.runner.positions().values()}) == 1

    healthy = ProjectionRunner(ledger, read_models.engine)
    assert healthy.catch_up() == 3
    assert _count(read_models.engine, targets) == 5 + 3
    assert healthy.last_error is None


def test_two_runners_racing_on_one_database_apply_each_event_once(
    world, ledger, registry, read_models
):
    change_things(world)
    registry.import_targets(_targets(40), "clerk-szc", "import")
    followed = dump(read_models.engine)
    read_models.runner._reset([p.name for p in read_models.runner.projections])
    # Two processes' runners: their own engines on the same read database, small batches.
    engines = [create_read_engine(read_database_url(ledger)) for _ in range(2)]
    runners = [ProjectionRunner(ledger, engine, batch=7) for engine in engines]
    errors: list[Exception] = []

    def run(runner: ProjectionRunner) -> None:
        try:
            runner.catch_up()
        except Exception as e:  # pragma: no cover - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert dump(read_models.engine) == followed
    for engine in engines:
        engine.dispose()
