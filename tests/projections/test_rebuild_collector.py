"""A rebuild runs with the cyclic garbage collector off, and runs it in full itself every
``REBUILD_COLLECT_EVERY`` batches (``projections/runner.py``): the collector is switched off while
the rebuild runs and on again when it ends, whether it ends well, refused by a log that does not
match its signed checkpoint, or inside another rebuild; a collector switched off before stays
off; the rows are those of read models built event by event."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ledger.errors import TamperedEvent
from projections import queries, runner
from projections.runner import ProjectionRunner

from ..tamper.bundle_edits import with_payload_keeping_signature
from ..tamper.test_store_tampering import _drop_append_only_triggers, _execute
from .world import change_things


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector on, with the test's own thresholds (a rebuild must leave them alone), and
    the process's state given back afterwards."""
    enabled, before = gc.isenabled(), gc.get_threshold()
    gc.enable()
    gc.set_threshold(701, 11, 12)
    yield
    gc.set_threshold(*before)
    (gc.enable if enabled else gc.disable)()


def test_a_rebuild_runs_with_the_collector_off_and_switches_it_on_again(
    world, read_models, ledger, new_ledger, collector, monkeypatch
):  # type: ignore[no-untyped-def]
    change_things(world)
    rows_before = queries.search_targets(read_models.engine, limit=500)["items"]
    seen: list[bool] = []
    collected: list[int] = []
    real = gc.collect
    monkeypatch.setattr(runner, "REBUILD_COLLECT_EVERY", 3)
    monkeypatch.setattr(gc, "collect", lambda *a: collected.append(len(seen)) or real(*a))
    r = ProjectionRunner(new_ledger(), read_models.engine, batch=7)
    assert r.rebuild(progress=lambda done, head: seen.append(gc.isenabled())) > 0
    assert len(seen) >= 6  # a batch at a time
    assert set(seen) == {False}
    assert collected == list(range(2, len(seen), 3))  # before every third batch, in full
    assert gc.isenabled() and gc.get_threshold() == (701, 11, 12)
    assert queries.search_targets(read_models.engine, limit=500)["items"] == rows_before


def test_a_rebuild_refused_by_a_tampered_log_switches_the_collector_on_again(
    world, read_models, ledger, new_ledger, collector
):  # type: ignore[no-untyped-def]
    """The operator with the data directory edits a sealed record's bytes: the rebuild stops
    on the signed checkpoint before any batch, nothing is current, the collector is on."""
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
    assert gc.isenabled()


def test_rebuilds_under_way_together_switch_it_on_when_the_last_ends(collector) -> None:  # type: ignore[no-untyped-def]
    """Two runners of one process rebuilding at once (each holds its own lock)."""
    with runner._collector_paused():
        assert not gc.isenabled()
        with runner._collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first is still running
    assert gc.isenabled()


def test_a_collector_switched_off_stays_off(collector) -> None:  # type: ignore[no-untyped-def]
    gc.disable()
    with runner._collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
