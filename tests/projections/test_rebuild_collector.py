"""A rebuild runs with the cyclic garbage collector's young generation at
``REBUILD_GC_YOUNG`` objects (``projections/runner.py``): the process's thresholds are set while
the rebuild runs and given back when it ends, whether it ends well, refused by a log that does
not match its signed checkpoint, or inside another rebuild; the rows are those of read models
built event by event."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ledger.errors import TamperedEvent
from projections import queries, runner
from projections.runner import REBUILD_GC_YOUNG, ProjectionRunner

from ..tamper.bundle_edits import with_payload_keeping_signature
from ..tamper.test_store_tampering import _drop_append_only_triggers, _execute
from .world import change_things


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """The test's own collector thresholds (not the defaults: a rebuild must give back what it
    found), given back to the process afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(701, 11, 12)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_a_rebuild_sets_the_thresholds_while_it_runs_and_gives_them_back(
    world, read_models, ledger, new_ledger, thresholds
):  # type: ignore[no-untyped-def]
    change_things(world)
    rows_before = queries.search_targets(read_models.engine, limit=500)["items"]
    seen: list[tuple[int, int, int]] = []
    r = ProjectionRunner(new_ledger(), read_models.engine, batch=7)
    assert r.rebuild(progress=lambda done, head: seen.append(gc.get_threshold())) > 0
    assert len(seen) > 2  # a batch at a time
    assert set(seen) == {(REBUILD_GC_YOUNG, 11, 1200)}
    assert gc.get_threshold() == thresholds
    assert queries.search_targets(read_models.engine, limit=500)["items"] == rows_before


def test_a_rebuild_refused_by_a_tampered_log_gives_the_thresholds_back(
    world, read_models, ledger, new_ledger, thresholds
):  # type: ignore[no-untyped-def]
    """The operator with the data directory edits a sealed record's bytes: the rebuild stops
    on the signed checkpoint before any batch, nothing is current, the thresholds are back."""
    change_things(world)
    ledger.seal()
    n = next(iter(ledger.notifications(topics=["target.registered"])))
    _drop_append_only_triggers(ledger)
    edited = with_payload_keeping_signature(n.state, name="改过的名称")
    _execute(
        ledger, f"UPDATE {ledger.events_table} SET state = ? WHERE state = ?", (edited, n.state)
    )
    r = ProjectionRunner(new_ledger(), read_models.engine, batch=7)
    with pytest.raises(TamperedEvent, match=rf"ledger position {n.id}: "):
        r.rebuild()
    assert max(r.positions().values()) == 0
    assert gc.get_threshold() == thresholds


def test_rebuilds_under_way_together_give_back_the_first_thresholds(thresholds) -> None:  # type: ignore[no-untyped-def]
    """Two runners of one process rebuilding at once (each holds its own lock)."""
    with runner._fewer_collections():
        assert gc.get_threshold() == (REBUILD_GC_YOUNG, 11, 1200)
        with runner._fewer_collections():
            assert gc.get_threshold()[0] == REBUILD_GC_YOUNG
        assert gc.get_threshold()[0] == REBUILD_GC_YOUNG  # the first is still running
    assert gc.get_threshold() == thresholds


def test_a_collector_switched_off_stays_off(thresholds) -> None:  # type: ignore[no-untyped-def]
    gc.set_threshold(0, 11, 12)
    with runner._fewer_collections():
        assert gc.get_threshold() == (0, 11, 12)
    assert gc.get_threshold() == (0, 11, 12)
