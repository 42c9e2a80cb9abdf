"""The follower builds read models that start from nothing in bulk (``follower.py``): an SQLite
file with a long backlog is rebuilt (a writer thread, the indexes at the end) instead of caught
up batch by batch, with the same rows; a stop cuts it short between batches with the indexes
built and the batches going on from there; a ``drawledger rebuild`` holding the lock takes
precedence."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import inspect

from projections import ProjectionRunner, follower
from projections.database import create_read_engine
from projections.past import rebuilding_alone

from .world import dump


@pytest.fixture
def fresh(ledger, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A runner on an empty SQLite read-model file of ``ledger`` (whose log is longer than the
    backlog that is built in bulk, lowered here), the rows a plain catch-up gives, and the
    runner's rebuilds counted."""
    monkeypatch.setattr(follower, "VOUCHED_BACKLOG", 10)
    reference = create_read_engine(f"sqlite:///{tmp_path / 'reference.sqlite'}")
    ProjectionRunner(ledger, reference).catch_up()
    expected = dump(reference)
    reference.dispose()
    engine = create_read_engine(f"sqlite:///{tmp_path / 'rm.sqlite'}")
    runner = ProjectionRunner(ledger, engine, batch=5)
    assert runner.head() > 10 and not any(runner.positions().values())
    rebuilds: list[int] = []
    rebuild = runner.rebuild

    def counted(*args: Any, **kwargs: Any) -> int:
        rebuilds.append(1)
        return rebuild(*args, **kwargs)

    monkeypatch.setattr(runner, "rebuild", counted)
    yield runner, expected, rebuilds
    engine.dispose()


def test_read_models_from_nothing_are_built_in_bulk_with_the_rows_of_a_catch_up(world, fresh):  # type: ignore[no-untyped-def]
    runner, expected, rebuilds = fresh
    watcher = follower.Follower(runner)
    watcher.start()  # (its thread, as the service starts it)
    try:
        deadline = time.monotonic() + 60
        while set(runner.positions().values()) != {runner.head()} or not rebuilds:
            assert time.monotonic() < deadline, runner.positions()
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert rebuilds == [1]
    assert watcher.progress().events_per_second  # (what /health shows meanwhile)
    assert dump(runner.engine) == expected
    watcher._built_in_bulk()  # not from nothing any more: nothing done
    assert rebuilds == [1]


def test_read_models_one_batch_in_as_the_service_starts_them_are_built_in_bulk(world, fresh):  # type: ignore[no-untyped-def]
    """The service's start applies one batch before the follower runs (``open_read_models``):
    still from nothing, so built anew in bulk, with the same rows."""
    runner, expected, rebuilds = fresh
    assert runner.catch_up(most=1) > 0
    assert 0 < max(runner.positions().values()) < follower.VOUCHED_BACKLOG
    follower.Follower(runner)._built_in_bulk()
    assert rebuilds == [1]
    assert dump(runner.engine) == expected


def test_a_projection_reset_for_its_new_schema_version_is_rebuilt_in_bulk_alone(  # type: ignore[no-untyped-def]
    world, fresh, monkeypatch
):
    """An upgrade gives a projection a new schema version: the runner's start resets it
    (position 0) while the others are current. That one is built in bulk, not batch by batch,
    and the others are not touched; the rows are those of a catch-up."""
    runner, expected, rebuilds = fresh
    runner.catch_up()
    head = runner.head()
    assert set(runner.positions().values()) == {head}
    runner.reset(["targets"])  # (what the runner's set-up does for a new version)
    asked: list[Any] = []
    rebuild = runner.rebuild

    def named(names: Any = None, **kwargs: Any) -> int:
        asked.append(names)
        return rebuild(names, **kwargs)

    monkeypatch.setattr(runner, "rebuild", named)
    follower.Follower(runner)._built_in_bulk()
    assert asked == [["targets"]]
    assert set(runner.positions().values()) == {head}
    assert dump(runner.engine) == expected


def test_a_stop_cuts_the_bulk_build_short_with_its_indexes_and_the_batches_go_on(  # type: ignore[no-untyped-def]
    world, fresh, monkeypatch
):
    runner, expected, rebuilds = fresh
    watcher = follower.Follower(runner)
    apply = runner._apply

    def stopped_after_one(*args: Any) -> None:
        apply(*args)
        watcher._stop.set()  # (the service stopping)

    monkeypatch.setattr(runner, "_apply", stopped_after_one)
    watcher._built_in_bulk()
    assert rebuilds == [1]
    reached = min(runner.positions().values())
    assert 0 < reached < runner.head()
    assert inspect(runner.engine).get_indexes("rm_targets")  # built all the same
    monkeypatch.setattr(runner, "_apply", apply)
    runner.catch_up()
    assert dump(runner.engine) == expected


def test_a_drawledger_rebuild_holding_the_lock_leaves_the_follower_to_its_batches(world, fresh):  # type: ignore[no-untyped-def]
    runner, expected, rebuilds = fresh
    watcher = follower.Follower(runner)
    with rebuilding_alone(runner.engine.url, follower.sqlite_file(runner.engine.url)):
        watcher._built_in_bulk()
    assert rebuilds == []
    assert not any(runner.positions().values())
    runner.catch_up()
    assert dump(runner.engine) == expected
